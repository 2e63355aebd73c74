/*
 * fpbench.c - the floating-point benchmark of `npm run bench`: an n-body
 * simulation (doubles, sqrt, division), a dense matrix product (fused
 * multiply-add in double), a Mandelbrot escape-time sweep, and a
 * single-precision filter with conversions to and from integers. Each part
 * prints a checksum, so a wrong result is seen, not just a slow one.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N_BODIES 5

struct body { double x, y, z, vx, vy, vz, mass; };

static struct body bodies[N_BODIES] = {
    { 0, 0, 0, 0, 0, 0, 39.47841760435743 },
    { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      6.06326392995832020e-01, 2.81198684491626032e+00, -2.52183616598876197e-02, 3.7693674870389493e-02 },
    { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -1.01077434617301953e+00, 1.82566237123041186e+00, 8.41576137658415351e-03, 1.1286326131968767e-02 },
    { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      1.08279100644154536e+00, 8.68713018169608157e-01, -1.01086300664301203e-02, 1.7237240570597112e-03 },
    { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      9.79090732243897980e-01, 5.94698998647676060e-01, -3.47559555040781143e-02, 2.0336868699246304e-03 },
};

static double nbody_energy(void)
{
    double e = 0.0;
    for (int i = 0; i < N_BODIES; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < N_BODIES; j++) {
            double dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
            e -= b->mass * bodies[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void nbody_advance(double dt)
{
    for (int i = 0; i < N_BODIES; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < N_BODIES; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < N_BODIES; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

#define M 48
static double ma[M][M], mb[M][M], mc[M][M];

static double matmul(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] = (double)(i + 1) / (j + 2);
            mb[i][j] = (double)(i - j) * 0.125;
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            double s = 0.0;
            for (int k = 0; k < M; k++) s = fma(ma[i][k], mb[k][j], s);
            mc[i][j] = s;
        }
    double trace = 0.0;
    for (int i = 0; i < M; i++) trace += mc[i][i];
    return trace;
}

static long mandelbrot(int size, int limit)
{
    long total = 0;
    for (int y = 0; y < size; y++) {
        double ci = 1.5 - 3.0 * y / size;
        for (int x = 0; x < size; x++) {
            double cr = -2.0 + 3.0 * x / size;
            double zr = 0, zi = 0;
            int n = 0;
            while (n < limit && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                n++;
            }
            total += n;
        }
    }
    return total;
}

static int32_t filter(int rounds)
{
    static float samples[256];
    int32_t sum = 0;
    for (int i = 0; i < 256; i++) samples[i] = sinf((float)i * 0.05f) * 1000.0f;
    for (int r = 0; r < rounds; r++) {
        float prev = 0.0f;
        for (int i = 0; i < 256; i++) {
            float y = 0.75f * samples[i] + 0.25f * prev;
            prev = y;
            samples[i] = y / 1.0001f;
            sum += (int32_t)lrintf(y);
        }
    }
    return sum;
}

int main(void)
{
    double e0 = nbody_energy();
    for (int i = 0; i < 100000; i++) nbody_advance(0.01);
    printf("n-body energy %.9f -> %.9f\n", e0, nbody_energy());
    double trace = 0.0;
    for (int r = 0; r < 8; r++) trace += matmul();
    printf("matrix trace %.6f\n", trace);
    printf("mandelbrot iterations %ld\n", mandelbrot(160, 200));
    printf("filter sum %ld\n", (long)filter(300));
    return 0;
}
