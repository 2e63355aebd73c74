/*
 * corruption.c - a memory-corruption bug worth time-travelling to.
 *
 * The program simulates a small temperature logger.  It "reads" a day's
 * worth of samples from a (simulated, deterministic) sensor, smooths them
 * with a moving average, computes statistics, and finally applies the
 * sensor's factory calibration offset before printing a report.  A
 * self-check at the end compares the result with the known-good value for
 * this input data and exits with status 1 when they differ.
 *
 * THE BUG: a moving average over WINDOW samples of N readings produces
 * N - WINDOW + 1 values, but the global array `smoothed` was declared with
 * room for only N - WINDOW (the classic fencepost error).  The loop in
 * smooth_readings() is correct, so its last iteration stores one element
 * past the end of the array, into the global that the linker placed right
 * after it: `calibration_offset`.  Nothing goes wrong at that moment; the
 * damaged value is only read thousands of instructions later, in
 * apply_calibration(), and the report comes out wrong.
 *
 * How to find it with a time-travel debugger: run to the end, see the
 * failing self-check, set a write watchpoint on `calibration_offset` and
 * reverse-continue: execution stops on the faulty store in
 * smooth_readings().
 *
 * Everything is deterministic: the "sensor" is a fixed pseudo-random
 * sequence, so every run corrupts the same value at the same instruction.
 */
#include <stdio.h>

#define MAX_SAMPLES   96            /* one sample every 15 minutes       */
#define WINDOW        4             /* moving-average window (samples)   */

/* Known-good calibrated mean for this data set (tenths of a degree). */
#define EXPECTED_CALIBRATED_MEAN 165

/* Raw readings, in tenths of a degree Celsius, and how many we have. */
int raw_samples[MAX_SAMPLES];
int num_samples;

/*
 * The smoothed series and, directly after it in memory, the calibration
 * offset (tenths of a degree) that must be added to every reading.  Both
 * are zero-initialised globals placed in the same .bss section, in this
 * order: build.sh compiles this file with -fno-toplevel-reorder (so GCC
 * emits globals in source order) and checks that calibration_offset really
 * follows smoothed[] in the linked program.
 *
 * BUG: should be MAX_SAMPLES - WINDOW + 1 elements.
 */
#define LOGGER_BSS __attribute__((section(".bss.logger")))
int smoothed[MAX_SAMPLES - WINDOW] LOGGER_BSS;
int calibration_offset LOGGER_BSS;

/* --- simulated hardware ------------------------------------------------ */

static unsigned int sensor_state = 12345u;

/* One reading from the "sensor": a daily temperature curve plus noise. */
static int read_sensor(int i)
{
    /* xorshift32 noise in [-8, +7] tenths of a degree */
    sensor_state ^= sensor_state << 13;
    sensor_state ^= sensor_state >> 17;
    sensor_state ^= sensor_state << 5;
    int noise = (int)(sensor_state & 15u) - 8;

    /* a triangle-shaped day: 12.0 C at midnight, 24.0 C at noon */
    int half = MAX_SAMPLES / 2;
    int dist = i < half ? i : MAX_SAMPLES - i;
    return 120 + dist * 120 / half + noise;
}

/* Factory calibration, normally read from an EEPROM. */
void load_calibration(void)
{
    calibration_offset = -15;       /* this sensor reads 1.5 C too warm */
}

/* --- processing ---------------------------------------------------------- */

void collect_samples(void)
{
    num_samples = 0;
    while (num_samples < MAX_SAMPLES) {
        raw_samples[num_samples] = read_sensor(num_samples);
        num_samples++;
    }
}

/*
 * Moving average over WINDOW consecutive raw samples; returns the number of
 * smoothed values written.  The loop bound is right, but the destination
 * array is one element too short: the last store (i == num_samples - WINDOW)
 * lands on calibration_offset.
 */
int smooth_readings(void)
{
    int count = num_samples - WINDOW + 1;
    for (int i = 0; i < count; i++) {
        int sum = 0;
        for (int k = 0; k < WINDOW; k++)
            sum += raw_samples[i + k];
        smoothed[i] = sum / WINDOW;
    }
    return count;
}

struct stats {
    int min, max;
    int mean;
    int median;
    int hot_samples;                /* samples above 20.0 C */
};

/* Median by insertion-sorting a copy: simple, and lots of instructions. */
static int median_of(const int *values, int n)
{
    int copy[MAX_SAMPLES];
    for (int i = 0; i < n; i++) {
        int v = values[i];
        int j = i;
        while (j > 0 && copy[j - 1] > v) {
            copy[j] = copy[j - 1];
            j--;
        }
        copy[j] = v;
    }
    return copy[n / 2];
}

static struct stats compute_stats(const int *values, int n)
{
    struct stats s = { values[0], values[0], 0, 0, 0 };
    long sum = 0;
    for (int i = 0; i < n; i++) {
        if (values[i] < s.min) s.min = values[i];
        if (values[i] > s.max) s.max = values[i];
        if (values[i] > 200)   s.hot_samples++;
        sum += values[i];
    }
    s.mean = (int)(sum / n);
    s.median = median_of(values, n);
    return s;
}

/* Reads calibration_offset: this is where the damage becomes visible. */
int apply_calibration(int reading)
{
    return reading + calibration_offset;
}

/* Print a temperature given in tenths of a degree. */
static void print_tenths(const char *label, int t)
{
    const char *sign = t < 0 ? "-" : "";
    if (t < 0)
        t = -t;
    printf("  %-18s %s%d.%d C\n", label, sign, t / 10, t % 10);
}

int main(void)
{
    load_calibration();
    collect_samples();
    int num_smoothed = smooth_readings();

    struct stats raw = compute_stats(raw_samples, num_samples);
    struct stats smo = compute_stats(smoothed, num_smoothed);

    printf("Temperature log: %d samples, moving average over %d\n",
           num_samples, WINDOW);
    print_tenths("raw min", raw.min);
    print_tenths("raw max", raw.max);
    print_tenths("raw mean", raw.mean);
    print_tenths("raw median", raw.median);
    print_tenths("smoothed mean", smo.mean);
    printf("  %-18s %d.%02d h\n", "time above 20 C",
           raw.hot_samples / 4, raw.hot_samples % 4 * 25);

    int calibrated = apply_calibration(smo.mean);
    print_tenths("calibrated mean", calibrated);

    if (calibrated != EXPECTED_CALIBRATED_MEAN) {
        printf("SELF-CHECK FAILED: calibrated mean is %d, expected %d\n",
               calibrated, EXPECTED_CALIBRATED_MEAN);
        return 1;
    }
    printf("self-check passed\n");
    return 0;
}
