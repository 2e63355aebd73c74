// An environment for the riscv-tests ISA suites (isa/rv64*) on QEMU's virt
// board with -bios none: a physical-memory, single-hart "p" environment that
// behaves like the suite's own env/p (same start-up, same trap vector, same
// privilege entry) but reports through the sifive_test finisher at 0x100000
// instead of a tohost/fromhost host, and says on the UART why a test failed.
//
// Start-up, in M-mode at 0x80000000: clear the integer registers, stop any
// hart but 0, satp = 0, PMP entry 0 = NAPOT over the whole address space with
// RWX (so S and U can reach memory), no delegation, no interrupts enabled,
// mtvec = trap_vector, TESTNUM = 0; if the test defines stvec_handler, stvec
// points at it and page faults, misaligned fetches, U-mode ecalls and
// breakpoints are delegated to S. mstatus = 0, then the TVM macro's `init`
// (RVTEST_RV64U: enter U-mode; RVTEST_RV64UF: U-mode with mstatus.FS =
// Initial and fcsr = 0; RVTEST_RV64S: S-mode, SSIP/STIP delegated;
// RVTEST_RV64M: stay in M-mode), and an mret to the test's code.
//
// trap_vector (M-mode): an ecall from any mode ends the test (RVTEST_PASS
// and RVTEST_FAIL are ecalls); anything else goes to the test's mtvec_handler
// if it has one (with only t5 and t6 clobbered), otherwise the test fails.
//
// Results: TESTNUM == 1 at the ecall is a pass: the UART prints
// "riscv-tests: pass" and the finisher is written 0x5555 (exit status 0).
// Anything else is a failure: the UART prints "riscv-tests: FAIL ..." with
// the failing test number, mcause, mepc and mtval, and the finisher is
// written (N << 16) | 0x3333 with N the failing test number (exit status N;
// 255 when N is 0 or a multiple of 256, so a failure never exits 0).
#ifndef HINDSIGHT_RISCV_TEST_H
#define HINDSIGHT_RISCV_TEST_H

// The suite's CSR, cause and mstatus definitions (riscv-tests env/encoding.h).
#include "encoding.h"

#define RVTEST_FINISHER      0x100000
#define RVTEST_FINISHER_PASS 0x5555
#define RVTEST_FINISHER_FAIL 0x3333
#define RVTEST_UART          0x10000000
#define RVTEST_UART_LSR      5
#define RVTEST_UART_LSR_THRE 0x20

//-----------------------------------------------------------------------
// Test virtual machines: what `init` does just before entering the test
//-----------------------------------------------------------------------

// U-mode: mstatus is 0 at the mret, so MPP = U.
#define RVTEST_RV64U                                                    \
  .macro init;                                                          \
  .endm

#define RVTEST_RV64UF                                                   \
  .macro init;                                                          \
  RVTEST_FP_ENABLE;                                                     \
  .endm

#define RVTEST_RV64M                                                    \
  .macro init;                                                          \
  RVTEST_ENABLE_MACHINE;                                                \
  .endm

#define RVTEST_RV64S                                                    \
  .macro init;                                                          \
  RVTEST_ENABLE_SUPERVISOR;                                             \
  .endm

#define RVTEST_ENABLE_MACHINE                                           \
  li a0, MSTATUS_MPP;                                                   \
  csrs mstatus, a0;

#define RVTEST_ENABLE_SUPERVISOR                                        \
  li a0, MSTATUS_MPP & (MSTATUS_MPP >> 1);                              \
  csrs mstatus, a0;                                                     \
  li a0, SIP_SSIP | SIP_STIP;                                           \
  csrs mideleg, a0;

// mstatus.FS = Initial; fcsr = 0 (rounding mode RNE, no flags).
#define RVTEST_FP_ENABLE                                                \
  li a0, MSTATUS_FS & (MSTATUS_FS >> 1);                                \
  csrs mstatus, a0;                                                     \
  csrwi fcsr, 0;

#define TESTNUM gp

//-----------------------------------------------------------------------
// Start-up and trap vector
//-----------------------------------------------------------------------

// Each step that may be unimplemented points mtvec at its own end first, so
// that a trap there just skips it (as env/p does).
#define RVTEST_INIT_XREG                                                \
  li x1, 0;  li x2, 0;  li x3, 0;  li x4, 0;  li x5, 0;  li x6, 0;      \
  li x7, 0;  li x8, 0;  li x9, 0;  li x10, 0; li x11, 0; li x12, 0;     \
  li x13, 0; li x14, 0; li x15, 0; li x16, 0; li x17, 0; li x18, 0;     \
  li x19, 0; li x20, 0; li x21, 0; li x22, 0; li x23, 0; li x24, 0;     \
  li x25, 0; li x26, 0; li x27, 0; li x28, 0; li x29, 0; li x30, 0;     \
  li x31, 0;

#define RVTEST_INIT_SATP                                                \
  la t0, 1f;                                                            \
  csrw mtvec, t0;                                                       \
  csrwi satp, 0;                                                        \
  .align 2;                                                             \
1:

// pmpaddr0 = 2^53 - 1 with NAPOT: one region covering all 2^56 bytes.
#define RVTEST_INIT_PMP                                                 \
  la t0, 1f;                                                            \
  csrw mtvec, t0;                                                       \
  li t0, (1 << 53) - 1;                                                 \
  csrw pmpaddr0, t0;                                                    \
  li t0, PMP_NAPOT | PMP_R | PMP_W | PMP_X;                             \
  csrw pmpcfg0, t0;                                                     \
  .align 2;                                                             \
1:

#define RVTEST_DELEGATE_NO_TRAPS                                        \
  csrwi mie, 0;                                                         \
  la t0, 1f;                                                            \
  csrw mtvec, t0;                                                       \
  csrwi medeleg, 0;                                                     \
  csrwi mideleg, 0;                                                     \
  .align 2;                                                             \
1:

#define RVTEST_CODE_BEGIN                                               \
        .section .text.init;                                            \
        .align  6;                                                      \
        .weak stvec_handler;                                            \
        .weak mtvec_handler;                                            \
        .globl _start;                                                  \
_start:                                                                 \
        j reset_vector;                                                 \
        .align 2;                                                       \
trap_vector:                                                            \
        /* An ecall (RVTEST_PASS, RVTEST_FAIL) ends the test. */        \
        csrr t5, mcause;                                                \
        li t6, CAUSE_USER_ECALL;                                        \
        beq t5, t6, rvtest_ecall;                                       \
        li t6, CAUSE_SUPERVISOR_ECALL;                                  \
        beq t5, t6, rvtest_ecall;                                       \
        li t6, CAUSE_MACHINE_ECALL;                                     \
        beq t5, t6, rvtest_ecall;                                       \
        /* The test's own handler, if it has one. */                    \
        la t5, mtvec_handler;                                           \
        beqz t5, rvtest_unexpected_trap;                                \
        jr t5;                                                          \
        RVTEST_REPORT_CODE                                              \
reset_vector:                                                           \
        RVTEST_INIT_XREG;                                               \
        csrr a0, mhartid;                                               \
1:      bnez a0, 1b;                                                    \
        RVTEST_INIT_SATP;                                               \
        RVTEST_INIT_PMP;                                                \
        RVTEST_DELEGATE_NO_TRAPS;                                       \
        li TESTNUM, 0;                                                  \
        la t0, trap_vector;                                             \
        csrw mtvec, t0;                                                 \
        /* If the test has an stvec_handler, delegate it the traps */   \
        /* it expects. */                                               \
        la t0, stvec_handler;                                           \
        beqz t0, 1f;                                                    \
        csrw stvec, t0;                                                 \
        li t0, (1 << CAUSE_LOAD_PAGE_FAULT) |                           \
               (1 << CAUSE_STORE_PAGE_FAULT) |                          \
               (1 << CAUSE_FETCH_PAGE_FAULT) |                          \
               (1 << CAUSE_MISALIGNED_FETCH) |                          \
               (1 << CAUSE_USER_ECALL) |                                \
               (1 << CAUSE_BREAKPOINT);                                 \
        csrw medeleg, t0;                                               \
1:      csrwi mstatus, 0;                                               \
        init;                                                           \
        la t0, 1f;                                                      \
        csrw mepc, t0;                                                  \
        csrr a0, mhartid;                                               \
        mret;                                                           \
        .section .text;                                                 \
1:

//-----------------------------------------------------------------------
// Reporting (M-mode, after the test is over: any register may be used)
//-----------------------------------------------------------------------

// mstatus.MPRV is cleared first, so that the UART and the finisher are
// reached with physical M-mode accesses whatever the test left behind.
#define RVTEST_REPORT_CODE                                              \
rvtest_ecall:                                                           \
        li t6, MSTATUS_MPRV;                                            \
        csrc mstatus, t6;                                               \
        li t6, 1;                                                       \
        bne TESTNUM, t6, rvtest_ecall_failed;                           \
        la a0, rvtest_msg_pass;                                         \
        jal ra, rvtest_puts;                                            \
        li a0, RVTEST_FINISHER_PASS;                                    \
        j rvtest_finish;                                                \
rvtest_ecall_failed:                                                    \
        /* RVTEST_FAIL leaves TESTNUM = (N << 1) | 1, or -1 for N = 0 */\
        andi t6, TESTNUM, 1;                                            \
        beqz t6, rvtest_stray_ecall;                                    \
        srli s0, TESTNUM, 1;                                            \
        li t6, -1;                                                      \
        bne TESTNUM, t6, 1f;                                            \
        li s0, 0;                                                       \
1:      la a0, rvtest_msg_fail;                                         \
        jal ra, rvtest_puts;                                            \
        j rvtest_fail_details;                                          \
rvtest_stray_ecall:                                                     \
        /* an ecall that is neither RVTEST_PASS nor RVTEST_FAIL */      \
        mv s0, TESTNUM;                                                 \
        la a0, rvtest_msg_stray;                                        \
        jal ra, rvtest_puts;                                            \
        j rvtest_fail_details;                                          \
rvtest_unexpected_trap:                                                 \
        li t6, MSTATUS_MPRV;                                            \
        csrc mstatus, t6;                                               \
        mv s0, TESTNUM;                                                 \
        la a0, rvtest_msg_trap;                                         \
        jal ra, rvtest_puts;                                            \
rvtest_fail_details:                                                    \
        /* s0 = the failing test number */                              \
        mv a0, s0;                                                      \
        jal ra, rvtest_putdec;                                          \
        la a0, rvtest_msg_mcause;                                       \
        jal ra, rvtest_puts;                                            \
        csrr a0, mcause;                                                \
        jal ra, rvtest_puthex;                                          \
        la a0, rvtest_msg_mepc;                                         \
        jal ra, rvtest_puts;                                            \
        csrr a0, mepc;                                                  \
        jal ra, rvtest_puthex;                                          \
        la a0, rvtest_msg_mtval;                                        \
        jal ra, rvtest_puts;                                            \
        csrr a0, mtval;                                                 \
        jal ra, rvtest_puthex;                                          \
        li a0, 10;                                                      \
        jal ra, rvtest_putc;                                            \
        /* exit status N, never 0 */                                    \
        andi t6, s0, 0xff;                                              \
        bnez t6, 1f;                                                    \
        li s0, 0xff;                                                    \
1:      li t6, 0xffff;                                                  \
        and s0, s0, t6;                                                 \
        slli a0, s0, 16;                                                \
        li t6, RVTEST_FINISHER_FAIL;                                    \
        or a0, a0, t6;                                                  \
rvtest_finish:                                                          \
        li t6, RVTEST_FINISHER;                                         \
        sw a0, 0(t6);                                                   \
1:      j 1b;                                                           \
                                                                        \
        /* a0: the character; clobbers t0, t1 */                        \
rvtest_putc:                                                            \
        li t0, RVTEST_UART;                                             \
1:      lbu t1, RVTEST_UART_LSR(t0);                                    \
        andi t1, t1, RVTEST_UART_LSR_THRE;                              \
        beqz t1, 1b;                                                    \
        sb a0, 0(t0);                                                   \
        ret;                                                            \
        /* a0: a NUL-terminated string; clobbers a0, a1, t0..t2 */      \
rvtest_puts:                                                            \
        mv t2, ra;                                                      \
        mv a1, a0;                                                      \
1:      lbu a0, 0(a1);                                                  \
        beqz a0, 2f;                                                    \
        jal ra, rvtest_putc;                                            \
        addi a1, a1, 1;                                                 \
        j 1b;                                                           \
2:      mv ra, t2;                                                      \
        ret;                                                            \
        /* a0: printed as 0x followed by 16 hex digits */               \
rvtest_puthex:                                                          \
        mv t2, ra;                                                      \
        mv a1, a0;                                                      \
        li a0, 48;                                                      \
        jal ra, rvtest_putc;                                            \
        li a0, 120;                                                     \
        jal ra, rvtest_putc;                                            \
        li a2, 60;                                                      \
1:      srl a0, a1, a2;                                                 \
        andi a0, a0, 0xf;                                               \
        addi a0, a0, 48;                                                \
        li t0, 57;                                                      \
        bleu a0, t0, 2f;                                                \
        addi a0, a0, 39; /* a..f */                                      \
2:      jal ra, rvtest_putc;                                            \
        addi a2, a2, -4;                                                \
        bgez a2, 1b;                                                    \
        mv ra, t2;                                                      \
        ret;                                                            \
        /* a0: printed in decimal, unsigned (no M extension needed) */  \
rvtest_putdec:                                                          \
        mv t2, ra;                                                      \
        mv a1, a0;                                                      \
        la a3, rvtest_powers_of_ten;                                    \
        li a4, 0; /* whether a digit has been printed */                \
1:      ld a2, 0(a3);                                                   \
        li a0, 48;                                                      \
2:      bltu a1, a2, 3f;                                                \
        sub a1, a1, a2;                                                 \
        addi a0, a0, 1;                                                 \
        j 2b;                                                           \
3:      bnez a4, 4f;                                                    \
        li t0, 48;                                                      \
        beq a0, t0, 5f; /* a leading zero */                            \
4:      li a4, 1;                                                       \
        jal ra, rvtest_putc;                                            \
5:      addi a3, a3, 8;                                                 \
        li t0, 1;                                                       \
        bne a2, t0, 1b;                                                 \
        bnez a4, 6f;                                                    \
        li a0, 48;                                                      \
        jal ra, rvtest_putc;                                            \
6:      mv ra, t2;                                                      \
        ret;                                                            \
        /* read-only data in its own section: in a code section, the */ \
        /* assembler cannot realign after strings (linker relaxation) */\
        .pushsection .rodata, "a";                                      \
        .align 3;                                                       \
rvtest_powers_of_ten:                                                   \
        .dword 10000000000000000000, 1000000000000000000;               \
        .dword 100000000000000000, 10000000000000000, 1000000000000000; \
        .dword 100000000000000, 10000000000000, 1000000000000;          \
        .dword 100000000000, 10000000000, 1000000000, 100000000;        \
        .dword 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1;      \
rvtest_msg_pass:   .asciz "riscv-tests: pass\n";                        \
rvtest_msg_fail:   .asciz "riscv-tests: FAIL: RVTEST_FAIL in test ";    \
rvtest_msg_stray:  .asciz "riscv-tests: FAIL: ecall with TESTNUM=";     \
rvtest_msg_trap:   .asciz "riscv-tests: FAIL: unexpected trap in test ";\
rvtest_msg_mcause: .asciz ", mcause=";                                  \
rvtest_msg_mepc:   .asciz " mepc=";                                     \
rvtest_msg_mtval:  .asciz " mtval=";                                    \
        .popsection;

//-----------------------------------------------------------------------
// End, pass and fail
//-----------------------------------------------------------------------

#define RVTEST_CODE_END                                                 \
        unimp

#define RVTEST_PASS                                                     \
        fence;                                                          \
        li TESTNUM, 1;                                                  \
        li a7, 93;                                                      \
        li a0, 0;                                                       \
        ecall

// TESTNUM = (TESTNUM << 1) | 1, odd and never 1: -1 when TESTNUM was 0.
#define RVTEST_FAIL                                                     \
        fence;                                                          \
        seqz a0, TESTNUM;                                               \
        neg a0, a0;                                                     \
        sll TESTNUM, TESTNUM, 1;                                        \
        or TESTNUM, TESTNUM, 1;                                         \
        or TESTNUM, TESTNUM, a0;                                        \
        li a7, 93;                                                      \
        addi a0, TESTNUM, 0;                                            \
        ecall

//-----------------------------------------------------------------------
// Data section
//-----------------------------------------------------------------------

#define RVTEST_DATA_BEGIN                                               \
        .align 4; .global begin_signature; begin_signature:

#define RVTEST_DATA_END .align 4; .global end_signature; end_signature:

#endif
