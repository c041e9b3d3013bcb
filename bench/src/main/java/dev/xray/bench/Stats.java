package dev.xray.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The median and spread of repeated measurements of one figure. */
record Stats(double median, double min, double max, int runs) {
  static Stats of(List<Double> samples) {
    List<Double> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    int n = sorted.size();
    double median = n % 2 == 1 ? sorted.get(n / 2)
        : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    return new Stats(median, sorted.get(0), sorted.get(n - 1), n);
  }

  /** Formats as {@code median (min–max)} with the given number of decimals. */
  String format(int decimals) {
    String pattern = "%." + decimals + "f";
    return String.format(Locale.ROOT, pattern + " (" + pattern + "–" + pattern + ")", median, min,
        max);
  }
}
