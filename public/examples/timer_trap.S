/*
 * timer_trap.S - machine-mode trap entry and CSR helpers for timer.c.
 *
 * The C code in timer.c cannot use CSR instructions directly (they belong
 * to the Zicsr extension, which is not part of the rv64imac -march string
 * used for the C library), so every CSR access lives here.
 */
    .option arch, +zicsr

    .equ MSTATUS_MIE, 0x8           # mstatus bit 3: machine interrupt enable
    .equ MIE_MTIE,    0x80          # mie bit 7: machine timer interrupt enable

    .text

/*
 * timer_trap_entry: installed in mtvec (direct mode, so it must be 4-byte
 * aligned).  Every trap lands here.  Save the caller-saved registers on the
 * current stack, call the C handler
 *     void handle_trap(unsigned long mcause, unsigned long mepc)
 * and return to the interrupted code with mret.  The callee-saved
 * registers (s0-s11) are preserved by the C handler itself.
 */
    .globl timer_trap_entry
    .balign 4
timer_trap_entry:
    addi    sp, sp, -128
    sd      ra,   0(sp)
    sd      t0,   8(sp)
    sd      t1,  16(sp)
    sd      t2,  24(sp)
    sd      t3,  32(sp)
    sd      t4,  40(sp)
    sd      t5,  48(sp)
    sd      t6,  56(sp)
    sd      a0,  64(sp)
    sd      a1,  72(sp)
    sd      a2,  80(sp)
    sd      a3,  88(sp)
    sd      a4,  96(sp)
    sd      a5, 104(sp)
    sd      a6, 112(sp)
    sd      a7, 120(sp)

    csrr    a0, mcause
    csrr    a1, mepc
    call    handle_trap

    ld      ra,   0(sp)
    ld      t0,   8(sp)
    ld      t1,  16(sp)
    ld      t2,  24(sp)
    ld      t3,  32(sp)
    ld      t4,  40(sp)
    ld      t5,  48(sp)
    ld      t6,  56(sp)
    ld      a0,  64(sp)
    ld      a1,  72(sp)
    ld      a2,  80(sp)
    ld      a3,  88(sp)
    ld      a4,  96(sp)
    ld      a5, 104(sp)
    ld      a6, 112(sp)
    ld      a7, 120(sp)
    addi    sp, sp, 128
    mret

/* unsigned long trap_vector_swap(unsigned long new_mtvec): returns the old one */
    .globl trap_vector_swap
trap_vector_swap:
    csrrw   a0, mtvec, a0
    ret

/* void timer_interrupt_enable(void): set mie.MTIE */
    .globl timer_interrupt_enable
timer_interrupt_enable:
    li      t0, MIE_MTIE
    csrs    mie, t0
    ret

/* void timer_interrupt_disable(void): clear mie.MTIE */
    .globl timer_interrupt_disable
timer_interrupt_disable:
    li      t0, MIE_MTIE
    csrc    mie, t0
    ret

/* void irq_enable(void): set mstatus.MIE (pending interrupts are taken now) */
    .globl irq_enable
irq_enable:
    csrsi   mstatus, MSTATUS_MIE
    ret

/* void irq_disable(void): clear mstatus.MIE */
    .globl irq_disable
irq_disable:
    csrci   mstatus, MSTATUS_MIE
    ret

/*
 * void wait_for_interrupt(void): stall until an interrupt is pending.  WFI
 * wakes up on a pending-and-enabled (in mie) interrupt even while
 * mstatus.MIE is clear; the interrupt is then taken once MIE is set again.
 */
    .globl wait_for_interrupt
wait_for_interrupt:
    wfi
    ret
