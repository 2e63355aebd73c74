/*
 * timer.c - machine timer interrupts from the CLINT.
 *
 * The program installs its own machine trap vector (timer_trap_entry in
 * timer_trap.S, direct mode), arms the CLINT timer (mtimecmp = mtime +
 * interval), enables the machine timer interrupt (mie.MTIE) and interrupts
 * globally (mstatus.MIE), and then alternates between a fixed chunk of
 * work and sleeping with WFI until the next tick.  The interrupt handler
 * counts the ticks, records when each one arrived and re-arms mtimecmp for
 * the next period.  After NUM_TICKS interrupts it prints a summary.
 *
 * Determinism: under QEMU with "-icount shift=0,sleep=off", mtime advances
 * once every 100 instructions and WFI skips virtual time straight to the
 * next timer deadline, so every run prints exactly the same numbers.  Only
 * mtime differences are printed, never absolute counter values.  (QEMU
 * converts "mtimecmp - mtime" into a virtual-clock deadline at the moment
 * mtimecmp is written, in the middle of an mtime tick, so an interrupt can
 * arrive one tick after mtime reaches mtimecmp: some intervals measure 999
 * or 1001 ticks.  The pattern is the same on every run.)
 *
 * CLINT of the virt board (base 0x02000000):
 *   mtimecmp (hart 0)  +0x4000   interrupt pending while mtime >= mtimecmp
 *   mtime              +0xBFF8   64-bit, 10 MHz
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#define CLINT_BASE      0x02000000UL
#define CLINT_MTIMECMP  ((volatile uint64_t *)(CLINT_BASE + 0x4000))
#define CLINT_MTIME     ((volatile uint64_t *)(CLINT_BASE + 0xBFF8))

#define TICK_INTERVAL   1000        /* mtime ticks between interrupts   */
#define NUM_TICKS       10

/* mcause of a machine timer interrupt: interrupt bit + cause 7 */
#define MCAUSE_INTERRUPT   (1UL << 63)
#define MCAUSE_MTI         (MCAUSE_INTERRUPT | 7)

/* timer_trap.S */
void timer_trap_entry(void);
unsigned long trap_vector_swap(unsigned long new_mtvec);
void timer_interrupt_enable(void);
void timer_interrupt_disable(void);
void irq_enable(void);
void irq_disable(void);
void wait_for_interrupt(void);

/* State shared with the interrupt handler. */
volatile unsigned int tick_count;
volatile uint64_t next_deadline;           /* current mtimecmp value  */
volatile uint64_t arrival[NUM_TICKS];      /* mtime when tick i ran   */
volatile uint64_t deadline[NUM_TICKS];     /* mtimecmp for tick i     */

/* Called from timer_trap_entry for every trap. */
void handle_trap(unsigned long mcause, unsigned long mepc)
{
    if (mcause != MCAUSE_MTI) {
        /* Not expected in this program: report and stop. */
        printf("unexpected trap: mcause=0x%lx mepc=0x%lx\n", mcause, mepc);
        exit(3);
    }

    uint64_t now = *CLINT_MTIME;
    unsigned int n = tick_count;
    if (n < NUM_TICKS) {
        arrival[n] = now;
        deadline[n] = next_deadline;
    }
    tick_count = n + 1;

    if (n + 1 < NUM_TICKS) {
        /* Re-arm relative to the previous deadline, so the period does not
         * drift; writing mtimecmp also clears the pending interrupt. */
        next_deadline += TICK_INTERVAL;
        *CLINT_MTIMECMP = next_deadline;
    } else {
        /* Last tick: push the deadline out of reach. */
        *CLINT_MTIMECMP = UINT64_MAX;
    }
}

/* Some work to do between interrupts: a chunk of integer hashing, well
 * under one tick interval long (about 20 000 instructions). */
static uint32_t work_state = 2166136261u;

static void do_work(unsigned int chunk)
{
    for (unsigned int i = 0; i < 2000; i++) {
        work_state ^= (chunk * 2000 + i) & 0xff;
        work_state *= 16777619u;            /* FNV-1a step */
    }
}

/* Sleep until tick number `seen` + 1 has been handled. */
static void wait_for_tick(unsigned int seen)
{
    irq_disable();
    while (tick_count == seen) {
        wait_for_interrupt();   /* returns once the timer interrupt is pending */
        irq_enable();           /* ...which is taken right here */
        irq_disable();
    }
    irq_enable();
}

int main(void)
{
    unsigned long old_mtvec = trap_vector_swap((unsigned long)timer_trap_entry);

    /* Arm the first tick one interval from now, then enable interrupts. */
    uint64_t start = *CLINT_MTIME;
    next_deadline = start + TICK_INTERVAL;
    *CLINT_MTIMECMP = next_deadline;
    timer_interrupt_enable();
    irq_enable();

    unsigned int chunks = 0;
    for (unsigned int seen = 0; seen < NUM_TICKS; seen++) {
        do_work(chunks++);
        wait_for_tick(seen);
    }

    irq_disable();
    timer_interrupt_disable();
    trap_vector_swap(old_mtvec);        /* give the C runtime its handler back */

    printf("Timer: %u interrupts, one every %d mtime ticks\n",
           tick_count, TICK_INTERVAL);
    int regular = 1;
    uint64_t prev = start;
    for (int i = 0; i < NUM_TICKS; i++) {
        uint64_t delta = arrival[i] - prev;
        uint64_t late = arrival[i] - deadline[i];
        printf("  interrupt %2d: %4lu mtime ticks after the %s, %lu after its deadline\n",
               i + 1, (unsigned long)delta, i == 0 ? "start" : "previous one",
               (unsigned long)late);
        if (deadline[i] != start + (uint64_t)(i + 1) * TICK_INTERVAL)
            regular = 0;
        prev = arrival[i];
    }
    printf("Work: %u chunks done between interrupts, checksum 0x%08lx\n",
           chunks, (unsigned long)work_state);
    printf("Deadlines %s\n", regular ? "were evenly spaced" : "DRIFTED");
    return regular && tick_count == NUM_TICKS ? 0 : 1;
}
