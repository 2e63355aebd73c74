/*
 * For the breakpoint test (debug-stops.test.ts): a hot loop in one page calls
 * `tick`, in a page of its own, every 1000 iterations, 200 times; then powers off.
 * A breakpoint on `tick` must stop at every call while the loop runs translated.
 */
    .equ FINISHER, 0x100000
    .text
    .globl _start
_start:
    li s0, 200                 /* calls of tick */
    li s2, 0                   /* a running sum */
outer:
    li s1, 1000
inner:
    addi s2, s2, 3
    xori s2, s2, 0x55
    addi s1, s1, -1
    bnez s1, inner
    call tick
    addi s0, s0, -1
    bnez s0, outer
    li t0, FINISHER
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

    .balign 4096
    .globl tick
tick:
    add s2, s2, s0
    ret
