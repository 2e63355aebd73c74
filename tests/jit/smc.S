/*
 * Self-modifying code, for the translation tier's test (smc.test.ts): prints
 * results on the UART and powers off; QEMU and Hindsight must print the same.
 *  1. writes a function into a RAM buffer, fence.i, calls it 1000 times (hot);
 *     rewrites its immediate, fence.i, calls it 1000 times again.
 *  2. a hot loop whose body instruction is overwritten by a store in a
 *     different, rarely taken path (iteration 300), then fence.i.
 *  3. a hot loop that, at iteration 300, stores into its own next instruction
 *     (the same block), then fence.i. (Without fence.i QEMU 7.2 runs the old
 *     instruction once more when it is in the translation block that stores:
 *     Hindsight takes the new one at once, both are allowed.)
 *  4. a loop that rewrites the instruction it is about to run at every
 *     iteration (with fence.i).
 */
    .option norvc
    .equ UART, 0x10000000
    .equ FINISHER, 0x100000
    .text
    .globl _start
_start:
    la sp, stack_top
    /* 1. generated function: addi a0, a0, 1; ret */
    la s0, buffer
    li t0, 0x00150513          /* addi a0, a0, 1 */
    sw t0, 0(s0)
    li t0, 0x00008067          /* ret */
    sw t0, 4(s0)
    fence.i
    li a0, 0
    li s1, 1000
1:  jalr s0
    addi s1, s1, -1
    bnez s1, 1b
    call print_hex
    li t0, 0x00750513          /* addi a0, a0, 7 */
    sw t0, 0(s0)
    fence.i
    li s1, 1000
1:  jalr s0
    addi s1, s1, -1
    bnez s1, 1b
    call print_hex

    /* 2. patched from another path at iteration 300 */
    li t0, 0
    li t1, 0
    li t5, 1000
    li t6, 300
    la t4, patch2
    li t3, 0x00530313          /* addi t1, t1, 5 */
loop2:
    bne t0, t6, patch2
    sw t3, 0(t4)
    fence.i
patch2:
    addi t1, t1, 1
    addi t0, t0, 1
    blt t0, t5, loop2
    mv a0, t1
    call print_hex

    /* 3. the block stores into its own next instruction at iteration 300 */
    li t0, 0
    li t1, 0
    li t5, 1000
    li t6, 300
    la t4, scratch
    la s1, target3
    sub s1, s1, t4
    li t3, 0x06430313          /* addi t1, t1, 100 */
loop3:
    xor a1, t0, t6
    seqz a1, a1
    neg a1, a1
    and a1, a1, s1
    add a1, a1, t4
    sw t3, 0(a1)
    fence.i
target3:
    addi t1, t1, 1
    addi t0, t0, 1
    blt t0, t5, loop3
    mv a0, t1
    call print_hex

    /* 4. every iteration rewrites the immediate of the instruction it runs next */
    li t0, 0
    li t1, 0
    li t5, 200
    la t4, target4
    li t3, 0x00030313          /* addi t1, t1, 0 */
loop4:
    andi a1, t0, 15
    slli a1, a1, 20
    or a1, a1, t3
    sw a1, 0(t4)
    fence.i
target4:
    addi t1, t1, 0
    addi t0, t0, 1
    blt t0, t5, loop4
    mv a0, t1
    call print_hex

    li t0, FINISHER
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

/* Prints a0 in hex and a newline. */
print_hex:
    li t0, UART
    li t1, 60
2:  srl t2, a0, t1
    andi t2, t2, 15
    li a2, 10
    blt t2, a2, 3f
    addi t2, t2, 'a' - 10 - '0'
3:  addi t2, t2, '0'
    sb t2, 0(t0)
    addi t1, t1, -4
    bgez t1, 2b
    li t2, '\n'
    sb t2, 0(t0)
    ret

    .data
    .balign 64
buffer:
    .space 64
scratch:
    .dword 0
    .balign 16
    .space 4096
stack_top:
