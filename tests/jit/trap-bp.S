/*
 * For the breakpoint test (debug-stops.test.ts): a load that faults, and the
 * trap handler it enters at the same icount. Resuming from a breakpoint on the
 * load must still stop at a breakpoint on the handler.
 */
    .equ FINISHER, 0x100000
    .text
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    .globl fault
fault:
    ld t1, 0(zero)             /* nothing is mapped at 0: a load access fault */
    li t0, FINISHER
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

    .balign 4
    .globl handler
handler:
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
