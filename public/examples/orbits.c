/*
 * orbits.c - floating point on Hindsight: a small planetary system integrated
 * with the velocity Verlet method, its energy drift, and an ASCII Mandelbrot
 * set. Every number printed is a double computed by the F and D extensions
 * (fadd.d, fmul.d, fdiv.d, fsqrt.d, fmadd.d, conversions), so the output is
 * the same, to the last digit, wherever the program runs exactly.
 *
 * Worth trying in the debugger: set a breakpoint on step() and watch the
 * floating-point registers change; or watch `system.bodies[1].x` and
 * reverse-continue from the end to see the last update of the planet's
 * position.
 */
#include <math.h>
#include <stdio.h>

#define BODIES 3

struct body {
    const char *name;
    double x, y;    /* position (AU) */
    double vx, vy;  /* velocity (AU per day) */
    double mass;    /* solar masses */
};

struct system {
    struct body bodies[BODIES];
    double time;    /* days */
};

/* Gaussian gravitational constant squared: G in AU^3 / (solar mass * day^2). */
static const double G = 0.01720209895 * 0.01720209895;

static struct system system = {
    .bodies = {
        { "sun",     0.0, 0.0,  0.0,      0.0,     1.0 },
        { "earth",   1.0, 0.0,  0.0,      0.01720, 3.003e-6 },
        { "jupiter", 5.2, 0.0,  0.0,      0.00754, 9.545e-4 },
    },
    .time = 0.0,
};

static double ax[BODIES], ay[BODIES];

static void accelerations(const struct system *s)
{
    for (int i = 0; i < BODIES; i++) {
        ax[i] = 0.0;
        ay[i] = 0.0;
    }
    for (int i = 0; i < BODIES; i++) {
        for (int j = i + 1; j < BODIES; j++) {
            double dx = s->bodies[j].x - s->bodies[i].x;
            double dy = s->bodies[j].y - s->bodies[i].y;
            double r2 = dx * dx + dy * dy;
            double inv_r3 = 1.0 / (r2 * sqrt(r2));
            ax[i] += G * s->bodies[j].mass * dx * inv_r3;
            ay[i] += G * s->bodies[j].mass * dy * inv_r3;
            ax[j] -= G * s->bodies[i].mass * dx * inv_r3;
            ay[j] -= G * s->bodies[i].mass * dy * inv_r3;
        }
    }
}

static double energy(const struct system *s)
{
    double e = 0.0;
    for (int i = 0; i < BODIES; i++) {
        const struct body *b = &s->bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = s->bodies[j].x - b->x;
            double dy = s->bodies[j].y - b->y;
            e -= G * b->mass * s->bodies[j].mass / sqrt(dx * dx + dy * dy);
        }
    }
    return e;
}

/* One velocity Verlet step of dt days. */
static void step(struct system *s, double dt)
{
    for (int i = 0; i < BODIES; i++) {
        struct body *b = &s->bodies[i];
        b->vx += 0.5 * dt * ax[i];
        b->vy += 0.5 * dt * ay[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
    }
    accelerations(s);
    for (int i = 0; i < BODIES; i++) {
        struct body *b = &s->bodies[i];
        b->vx += 0.5 * dt * ax[i];
        b->vy += 0.5 * dt * ay[i];
    }
    s->time += dt;
}

static void mandelbrot(void)
{
    static const char shades[] = " .:-=+*#%@";
    for (int row = 0; row < 16; row++) {
        char line[57];
        double ci = 1.2 - row * (2.4 / 15);
        for (int col = 0; col < 56; col++) {
            double cr = -2.1 + col * (2.8 / 55);
            double zr = 0.0, zi = 0.0;
            int n = 0;
            while (n < 60 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                n++;
            }
            line[col] = shades[n * 9 / 60];
        }
        line[56] = '\0';
        printf("  %s\n", line);
    }
}

int main(void)
{
    const double dt = 1.0;
    const int days = 4332; /* about one orbit of Jupiter */

    accelerations(&system);
    double e0 = energy(&system);
    printf("Orbits: %d bodies, velocity Verlet, dt = %.1f day\n", BODIES, dt);
    for (int d = 1; d <= days; d++) {
        step(&system, dt);
        if (d % 1083 == 0) {
            const struct body *earth = &system.bodies[1];
            const struct body *jupiter = &system.bodies[2];
            printf("day %5.0f  earth (%+.6f, %+.6f) r=%.6f  jupiter (%+.4f, %+.4f)\n", system.time,
                   earth->x, earth->y, hypot(earth->x, earth->y), jupiter->x, jupiter->y);
        }
    }
    double e1 = energy(&system);
    printf("energy %.12e -> %.12e, relative drift %.3e\n", e0, e1, fabs((e1 - e0) / e0));
    printf("Mandelbrot set, -2.1..0.7 x -1.2..1.2:\n");
    mandelbrot();
    return fabs((e1 - e0) / e0) < 1e-6 ? 0 : 1;
}
