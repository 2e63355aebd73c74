/*
 * bench.c - a CPU benchmark made of four classic integer workloads:
 *
 *   1. sort    - quicksort and merge sort of pseudo-random arrays
 *   2. hash    - FNV-1a (64-bit) and CRC-32 over a pseudo-random buffer
 *   3. matmul  - integer matrix multiplication
 *   4. chase   - pointer chasing through a random cyclic permutation
 *
 * All input comes from a fixed-seed xorshift64 generator, so the program is
 * fully deterministic.  Each part prints a checksum of its results; the
 * whole run retires roughly 600 million instructions.  The exit status is
 * 0 when the sorts produced sorted output and both sort algorithms agree.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* ---- sizes (tuned for ~600 million instructions in total) -------------- */

#define SORT_KEYS       32768
#define SORT_ROUNDS     12          /* each round: one quicksort + one merge sort */
#define HASH_BYTES      65536
#define HASH_PASSES     150
#define MAT_N           128
#define MAT_ROUNDS      9
#define CHASE_NODES     (1 << 18)
#define CHASE_STEPS     22000000u

/* ---- pseudo-random numbers ----------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t xorshift64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Fold a 64-bit value into a running checksum. */
static uint64_t mix(uint64_t sum, uint64_t v)
{
    sum ^= v + 0x9E3779B97F4A7C15ull + (sum << 6) + (sum >> 2);
    return sum;
}

/* ---- 1. sorting ----------------------------------------------------------- */

static int32_t keys[SORT_KEYS];
static int32_t keys2[SORT_KEYS];
static int32_t scratch[SORT_KEYS];

static void quicksort(int32_t *a, long lo, long hi)
{
    while (lo < hi) {
        /* median of three as pivot */
        long mid = lo + (hi - lo) / 2;
        int32_t x = a[lo], y = a[mid], z = a[hi];
        int32_t pivot = x < y ? (y < z ? y : (x < z ? z : x))
                              : (x < z ? x : (y < z ? z : y));
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                int32_t t = a[i]; a[i] = a[j]; a[j] = t;
                i++; j--;
            }
        }
        /* recurse into the smaller half, loop on the larger one */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

/* Bottom-up merge sort using `scratch` as the second buffer. */
static void merge_sort(int32_t *a, long n)
{
    int32_t *src = a, *dst = scratch;
    for (long width = 1; width < n; width *= 2) {
        for (long lo = 0; lo < n; lo += 2 * width) {
            long mid = lo + width < n ? lo + width : n;
            long hi = lo + 2 * width < n ? lo + 2 * width : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi)  dst[k++] = src[j++];
        }
        int32_t *t = src; src = dst; dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof a[0]);
}

static int bench_sort(void)
{
    uint64_t sum = 0;
    int ok = 1;
    for (int round = 0; round < SORT_ROUNDS; round++) {
        for (long i = 0; i < SORT_KEYS; i++)
            keys[i] = keys2[i] = (int32_t)xorshift64();
        quicksort(keys, 0, SORT_KEYS - 1);
        merge_sort(keys2, SORT_KEYS);
        for (long i = 0; i < SORT_KEYS; i++) {
            if (keys[i] != keys2[i] || (i > 0 && keys[i - 1] > keys[i]))
                ok = 0;
            if ((i & 255) == 0)
                sum = mix(sum, (uint32_t)keys[i]);
        }
    }
    printf("sort:   %d rounds x %d keys (quicksort + merge sort), %s, checksum %016llx\n",
           SORT_ROUNDS, SORT_KEYS, ok ? "sorted" : "NOT SORTED",
           (unsigned long long)sum);
    return ok;
}

/* ---- 2. hashing ----------------------------------------------------------- */

static uint8_t hash_buf[HASH_BYTES];
static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
    while (n--) {
        h ^= *p++;
        h *= 0x100000001B3ull;
    }
    return h;
}

static void bench_hash(void)
{
    for (size_t i = 0; i < HASH_BYTES; i += 8) {
        uint64_t r = xorshift64();
        memcpy(&hash_buf[i], &r, 8);
    }
    crc32_init();
    uint64_t fnv = 0xCBF29CE484222325ull;
    uint32_t crc = 0;
    for (int pass = 0; pass < HASH_PASSES; pass++) {
        fnv = fnv1a64(fnv, hash_buf, HASH_BYTES);
        crc = crc32(crc, hash_buf, HASH_BYTES);
        hash_buf[pass % HASH_BYTES] ^= (uint8_t)crc;   /* vary the input */
    }
    printf("hash:   %d passes x %d bytes, FNV-1a %016llx, CRC-32 %08lx\n",
           HASH_PASSES, HASH_BYTES, (unsigned long long)fnv, (unsigned long)crc);
}

/* ---- 3. matrix multiplication ------------------------------------------------ */

static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static void bench_matmul(void)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (int32_t)(xorshift64() % 201) - 100;
            mat_b[i][j] = (int32_t)(xorshift64() % 201) - 100;
        }
    uint64_t sum = 0;
    for (int round = 0; round < MAT_ROUNDS; round++) {
        /* C = A * B, i-k-j loop order (row-wise, cache friendly) */
        memset(mat_c, 0, sizeof mat_c);
        for (int i = 0; i < MAT_N; i++)
            for (int k = 0; k < MAT_N; k++) {
                int32_t aik = mat_a[i][k];
                for (int j = 0; j < MAT_N; j++)
                    mat_c[i][j] += aik * mat_b[k][j];
            }
        for (int i = 0; i < MAT_N; i++)
            for (int j = 0; j < MAT_N; j++)
                sum = mix(sum, (uint32_t)mat_c[i][j]);
        /* feed the result back in so each round differs */
        mat_a[round % MAT_N][round % MAT_N] += (int32_t)(sum & 7);
    }
    printf("matmul: %d rounds of %dx%d x %dx%d, checksum %016llx, c[0][0]=%ld\n",
           MAT_ROUNDS, MAT_N, MAT_N, MAT_N, MAT_N, (unsigned long long)sum,
           (long)mat_c[0][0]);
}

/* ---- 4. pointer chasing ----------------------------------------------------- */

struct node {
    struct node *next;
};

static struct node nodes[CHASE_NODES];
static uint32_t order[CHASE_NODES];

static void bench_chase(void)
{
    /* Sattolo's algorithm: a random permutation that is one single cycle. */
    for (uint32_t i = 0; i < CHASE_NODES; i++)
        order[i] = i;
    for (uint32_t i = CHASE_NODES - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(xorshift64() % i);
        uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (uint32_t i = 0; i < CHASE_NODES; i++)
        nodes[i].next = &nodes[order[i]];

    /* Walk the cycle, summing the node indices visited. */
    struct node *p = &nodes[0];
    uint64_t sum = 0;
    for (uint32_t step = 0; step < CHASE_STEPS; step++) {
        p = p->next;
        sum += (uint64_t)(p - nodes);
    }
    printf("chase:  %u steps over %d nodes, ended at node %ld, checksum %016llx\n",
           CHASE_STEPS, CHASE_NODES, (long)(p - nodes), (unsigned long long)sum);
}

/* -------------------------------------------------------------------------- */

int main(void)
{
    printf("bench: sort, hash, matmul, chase\n");
    int ok = bench_sort();
    bench_hash();
    bench_matmul();
    bench_chase();
    printf("bench: %s\n", ok ? "done" : "FAILED");
    return ok ? 0 : 1;
}
