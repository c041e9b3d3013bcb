package dev.xray.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.BaseImage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray base}: import, list and remove base images. */
@Command(name = "base", mixinStandardHelpOptions = true,
    description = "Manage base images: read-only qcow2 templates that VMs are backed by.",
    subcommands = {BaseCommand.Import.class, BaseCommand.ListBases.class,
        BaseCommand.Remove.class})
final class BaseCommand implements Runnable {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Import a qcow2 image as a base, by copying it or with --link.")
  static final class Import implements Callable<Integer> {
    @ParentCommand
    BaseCommand base;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the qcow2 image to import")
    Path file;

    @Option(names = "--name", required = true, paramLabel = "NAME",
        description = "name of the new base")
    String name;

    @Option(names = "--link", description = "link to FILE instead of copying it (saves space;"
        + " FILE must then stay where it is)")
    boolean link;

    @Override
    public Integer call() {
      BaseImage image;
      try (ProgressBar bar = new ProgressBar("Copying " + file.getFileName())) {
        image = base.parent.xray().bases().importImage(file, name, link, bar);
      }
      spec.commandLine().getOut().printf("Imported base %s (%s, virtual size %s)%n",
          image.name(), link ? "linked to " + image.linkTarget().orElse(file) : "copied",
          Output.bytes(image.virtualSize()));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List base images.")
  static final class ListBases implements Callable<Integer> {
    @ParentCommand
    BaseCommand base;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() {
      List<BaseImage> images = base.parent.xray().bases().list();
      if (json) {
        ArrayNode array = Output.Json.MAPPER.createArrayNode();
        for (BaseImage image : images) {
          ObjectNode node = array.addObject();
          node.put("name", image.name());
          node.put("path", image.path().toString());
          node.put("virtual_size", image.virtualSize());
          node.put("file_size", image.fileSize());
          node.put("link_target", image.linkTarget().map(Path::toString).orElse(null));
        }
        Output.json(spec.commandLine().getOut(), array);
        return 0;
      }
      if (images.isEmpty()) {
        spec.commandLine().getOut().println("No base images. Import one with 'xray base import "
            + "FILE --name NAME'.");
        return 0;
      }
      List<List<String>> rows = Output.newTable("NAME", "VIRTUAL SIZE", "FILE SIZE", "SOURCE");
      for (BaseImage image : images) {
        rows.add(List.of(image.name(), Output.bytes(image.virtualSize()),
            Output.bytes(image.fileSize()),
            image.linkTarget().map(target -> "link to " + target).orElse("copy")));
      }
      Output.table(spec.commandLine().getOut(), rows);
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove a base image; fails while any VM uses it.")
  static final class Remove implements Callable<Integer> {
    @ParentCommand
    BaseCommand base;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "the base to remove")
    String name;

    @Override
    public Integer call() {
      base.parent.xray().bases().remove(name);
      spec.commandLine().getOut().printf("Removed base %s%n", name);
      return 0;
    }
  }
}
