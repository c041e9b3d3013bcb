package dev.xray.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Prompts on the terminal, only when stdin and stdout are one. */
final class Terminal {
  private static BufferedReader stdin;

  private Terminal() {}

  /** Returns whether the process talks to a person: stdin and stdout are a terminal. */
  static boolean isInteractive() {
    return System.console() != null;
  }

  /** Prints {@code prompt} and returns the line typed, or null at end of input. */
  static String ask(PrintWriter out, String prompt) {
    out.print(prompt);
    out.flush();
    try {
      if (stdin == null) {
        stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      }
      return stdin.readLine();
    } catch (IOException e) {
      return null;
    }
  }

  /** Asks a yes/no question whose default is no. */
  static boolean confirm(PrintWriter out, String question) {
    String answer = ask(out, question + " [y/N] ");
    return answer != null && (answer.strip().equalsIgnoreCase("y")
        || answer.strip().equalsIgnoreCase("yes"));
  }
}
