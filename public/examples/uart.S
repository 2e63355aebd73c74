/*
 * uart.S - a bare-metal program with no C library at all.
 *
 * It writes a message to the 16550 UART of the virt board and then powers
 * the machine off through the sifive_test "finisher" device with status 0.
 *
 *   UART (NS16550A) at 0x10000000:  THR (transmit holding register) at +0,
 *                                   LSR (line status register) at +5,
 *                                   LSR bit 5 (THRE) = ready to accept a byte.
 *   sifive_test at 0x00100000:      write 0x5555 -> power off, exit status 0
 *                                   write (code << 16) | 0x3333 -> exit code
 *
 * Execution starts at _start (0x80000000) in machine mode on hart 0.
 */

    .equ UART_BASE,     0x10000000
    .equ UART_THR,      0
    .equ UART_LSR,      5
    .equ LSR_THRE,      0x20

    .equ FINISHER,      0x00100000
    .equ FINISHER_PASS, 0x5555

    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, stack_top           # a small stack for the call below

    la      a0, message
    call    uart_puts

    # Power off: the finisher ends the simulation with exit status 0.
    li      t0, FINISHER
    li      t1, FINISHER_PASS
    sw      t1, 0(t0)
1:  j       1b                      # not reached

# uart_puts(a0 = pointer to a NUL-terminated string)
uart_puts:
    li      t0, UART_BASE
1:  lbu     t1, 0(a0)               # next character
    beqz    t1, 3f                  # NUL: done
2:  lbu     t2, UART_LSR(t0)        # wait until the transmitter is ready
    andi    t2, t2, LSR_THRE
    beqz    t2, 2b
    sb      t1, UART_THR(t0)        # send it
    addi    a0, a0, 1
    j       1b
3:  ret

    .section .rodata
message:
    .asciz "Hello from bare-metal RISC-V assembly, straight to the 16550 UART!\nPowering off through the sifive_test finisher.\n"

    .section .bss
    .balign 16
stack:
    .skip   4096
stack_top:
