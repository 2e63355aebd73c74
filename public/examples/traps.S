/*
 * traps.S - a bare-metal tour of RISC-V privileged behaviour.
 *
 * No C library: the program starts at _start (0x80000000) in machine mode,
 * prints through the 16550 UART at 0x10000000 and powers off through the
 * sifive_test finisher at 0x00100000 (status 0 if every check passed, 1
 * otherwise).
 *
 * Each check provokes a trap (or, for plain misaligned loads and stores,
 * shows that there is none) and prints one line with the trap CSRs as the
 * handler read them: cause, epc and tval in hex, the privilege mode the
 * trap came from (mstatus.MPP / sstatus.SPP), and "ok" or "FAIL".  The
 * expected cause and epc are checked for every trap; tval is checked where
 * its value is architecturally defined (faulting addresses, ecall, the
 * all-zero instruction).
 *
 *   - ecall from M, S and U mode (drop to S/U with mstatus.MPP + mret)
 *   - ebreak, illegal instructions (all-zero word, unimplemented CSR,
 *     write to a read-only CSR, machine CSR read from U mode)
 *   - misaligned lw / ld / sw (performed by QEMU without a trap) and
 *     misaligned amoadd.w / lr.w (which trap)
 *   - load, store and instruction fetch at unmapped addresses (access faults)
 *   - exceptions delegated to S mode with medeleg, handled by an S-mode
 *     handler (stvec) that returns to U mode with sret
 *
 * How traps are handled: before provoking a trap, the test code stores the
 * address where execution should continue in the resume slot of m_area
 * (EXPECT_TRAP).  The machine trap handler records mcause/mepc/mtval/MPP,
 * sets mepc to that address, clears the slot, sets
 * mstatus.MPP = M, and returns with mret, so every test continues in
 * machine mode right after the faulting code, whatever mode it trapped
 * from.  A trap with no resume address set is reported as unexpected and
 * stops the program with exit status 2.
 *
 * Everything is assembled without compressed instructions (.option norvc),
 * so every instruction is 4 bytes long.
 */
    .option norvc
    .option arch, +zicsr

    .equ UART_BASE,         0x10000000
    .equ UART_THR,          0
    .equ UART_LSR,          5
    .equ LSR_THRE,          0x20

    .equ FINISHER,          0x00100000
    .equ FINISHER_PASS,     0x5555
    .equ FINISHER_FAIL,     0x3333          # (code << 16) | 0x3333

    .equ MODE_U,            0
    .equ MODE_S,            1
    .equ MODE_M,            3
    .equ MSTATUS_MPP_SHIFT, 11
    .equ MSTATUS_MPP_MASK,  (3 << 11)
    .equ SSTATUS_SPP,       (1 << 8)

    /* exception causes */
    .equ CAUSE_FETCH_ACCESS,    1
    .equ CAUSE_ILLEGAL,         2
    .equ CAUSE_BREAKPOINT,      3
    .equ CAUSE_LOAD_MISALIGNED, 4
    .equ CAUSE_LOAD_ACCESS,     5
    .equ CAUSE_AMO_MISALIGNED,  6
    .equ CAUSE_STORE_ACCESS,    7
    .equ CAUSE_ECALL_U,         8
    .equ CAUSE_ECALL_S,         9
    .equ CAUSE_ECALL_M,         11

    /* a trap record, filled in by the trap handlers */
    .equ REC_CAUSE,  0
    .equ REC_EPC,    8
    .equ REC_TVAL,   16
    .equ REC_MODE,   24          # privilege mode the trap came from
    .equ REC_COUNT,  32          # number of traps recorded here
    .equ REC_SIZE,   40

    /* handler work areas (pointed to by mscratch / sscratch) */
    .equ AREA_SAVE0,  0          # saved registers of the interrupted code
    .equ AREA_SAVE1,  8
    .equ AREA_RESUME, 16         # M area: where to continue after the trap
    .equ AREA_NEXT,   16         # S area: index of the next free record
    .equ AREA_REC,    24         # M area: one record; S area: S_RECORDS
    .equ S_RECORDS,   4

    .equ UNMAPPED_STORE_ADDR, 0x40      # nothing is mapped at 0x0-0xfff

/* REPORT name, cause: print the check line for the machine trap record.
 * The caller sets a2 = expected mepc, a3 = 1 to also check mtval against
 * a4 (0 to only print mtval). */
.macro REPORT name, cause
    la      a0, \name
    li      a1, \cause
    la      a5, m_area + AREA_REC
    la      a6, str_m
    call    report
.endm

/* EXPECT_TRAP resume_label: the next trap must resume at resume_label. */
.macro EXPECT_TRAP resume
    la      t0, \resume
    la      t1, m_area
    sd      t0, AREA_RESUME(t1)
.endm

/* ======================================================================== */

    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, stack_top

    /* Machine trap vector, direct mode (m_trap is 4-byte aligned). */
    la      t0, m_trap
    csrw    mtvec, t0
    la      t0, m_area
    csrw    mscratch, t0

    /* S-mode trap vector, used once exceptions are delegated. */
    la      t0, s_trap
    csrw    stvec, t0
    la      t0, s_area
    csrw    sscratch, t0
    csrw    medeleg, zero
    csrw    mideleg, zero
    csrw    satp, zero              # no address translation in S/U mode

    /* PMP: without a matching PMP entry, S and U mode may not access any
     * memory at all.  Entry 0 = NAPOT region covering the whole address
     * space, readable, writable and executable. */
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f                # A=NAPOT (3 << 3) | X | W | R
    csrw    pmpcfg0, t0

    la      a0, str_banner
    call    uart_puts

/* ---- ecall and ebreak in machine mode ----------------------------------- */

    EXPECT_TRAP 1f
ecall_m:
    ecall
1:  la      a2, ecall_m
    li      a3, 1
    li      a4, 0
    REPORT  str_ecall_m, CAUSE_ECALL_M

    EXPECT_TRAP 1f
ebreak_m:
    ebreak                          # a plain ebreak, not a semihosting call
1:  la      a2, ebreak_m
    li      a3, 0
    REPORT  str_ebreak_m, CAUSE_BREAKPOINT

/* ---- illegal instructions ------------------------------------------------- */

    EXPECT_TRAP 1f
illegal_zero:
    .4byte  0x00000000              # the all-zero word is defined to be illegal
1:  la      a2, illegal_zero
    li      a3, 1
    li      a4, 0
    REPORT  str_illegal_zero, CAUSE_ILLEGAL

    EXPECT_TRAP 1f
illegal_csr:
    csrr    t2, 0x7ff               # custom M-mode CSR number, not implemented
1:  la      a2, illegal_csr
    li      a3, 0
    REPORT  str_illegal_csr, CAUSE_ILLEGAL

    EXPECT_TRAP 1f
illegal_ro_csr:
    csrw    mhartid, zero           # mhartid is read-only
1:  la      a2, illegal_ro_csr
    li      a3, 0
    REPORT  str_illegal_ro, CAUSE_ILLEGAL

/* ---- misaligned accesses ---------------------------------------------------- */

    /* Plain loads and stores: QEMU performs them, no trap (the resume
     * slot is clear, so a trap here would be reported as unexpected). */
    la      s0, buf
    lw      a1, 1(s0)               # bytes 1..4
    la      a0, str_mis_lw
    li      a2, 0x55443322
    call    report_value

    ld      a1, 3(s0)               # bytes 3..10
    la      a0, str_mis_ld
    li      a2, 0xbbaa998877665544
    call    report_value

    li      t0, 0x12345678
    sw      t0, 6(s0)               # bytes 6..9, straddling two doublewords
    ld      a1, 0(s0)
    la      a0, str_mis_sw_lo
    li      a2, 0x5678665544332211
    call    report_value
    ld      a1, 8(s0)
    la      a0, str_mis_sw_hi
    li      a2, 0x00ffeeddccbb1234
    call    report_value

    /* Atomics must be naturally aligned: these trap.  (The privileged
     * spec gives a misaligned AMO cause 6, store/AMO address misaligned;
     * QEMU 7.2 reports cause 4, load address misaligned.  Both pass.) */
    addi    s1, s0, 2
    EXPECT_TRAP 1f
amo_misaligned:
    amoadd.w t2, t0, (s1)           # buf + 2
1:  la      a2, amo_misaligned
    li      a3, 1
    la      a4, buf + 2
    la      a0, str_mis_amo
    li      a1, CAUSE_AMO_MISALIGNED
    li      a7, CAUSE_LOAD_MISALIGNED
    la      a5, m_area + AREA_REC
    la      a6, str_m
    call    report_alt

    addi    s1, s0, 1
    EXPECT_TRAP 1f
lr_misaligned:
    lr.w    t2, (s1)                # buf + 1
1:  la      a2, lr_misaligned
    li      a3, 1
    la      a4, buf + 1
    REPORT  str_mis_lr, CAUSE_LOAD_MISALIGNED

/* ---- accesses to unmapped memory ---------------------------------------- */

    EXPECT_TRAP 1f
load_unmapped:
    ld      t2, 0(zero)             # load from address 0
1:  la      a2, load_unmapped
    li      a3, 1
    li      a4, 0
    REPORT  str_load_fault, CAUSE_LOAD_ACCESS

    li      s1, UNMAPPED_STORE_ADDR
    EXPECT_TRAP 1f
store_unmapped:
    sd      s0, 0(s1)               # store to address 0x40
1:  la      a2, store_unmapped
    li      a3, 1
    li      a4, UNMAPPED_STORE_ADDR
    REPORT  str_store_fault, CAUSE_STORE_ACCESS

    EXPECT_TRAP 1f
    jalr    zero, 0(zero)           # jump to address 0: fetch fails there
1:  li      a2, 0
    li      a3, 1
    li      a4, 0
    REPORT  str_fetch_fault, CAUSE_FETCH_ACCESS

/* ---- ecall from supervisor and user mode ------------------------------- */

    EXPECT_TRAP 1f
    la      a0, s_mode_ecall
    li      a1, MODE_S
    call    enter_mode              # does not return: the ecall resumes at 1f
1:  la      a2, s_mode_ecall
    li      a3, 1
    li      a4, 0
    REPORT  str_ecall_s, CAUSE_ECALL_S

    EXPECT_TRAP 1f
    la      a0, u_mode_ecall
    li      a1, MODE_U
    call    enter_mode
1:  la      a2, u_mode_ecall
    li      a3, 1
    li      a4, 0
    REPORT  str_ecall_u, CAUSE_ECALL_U

    EXPECT_TRAP 1f
    la      a0, u_mode_csr
    li      a1, MODE_U
    call    enter_mode
1:  la      a2, u_mode_csr
    li      a3, 0
    REPORT  str_u_csr, CAUSE_ILLEGAL

/* ---- delegation to supervisor mode ---------------------------------------- */

    /* Delegate ecall-from-U and breakpoints to S mode.  U-mode code then
     * does ecall and ebreak, each handled by s_trap (which skips the
     * instruction and returns with sret), and finally reads mstatus, an
     * illegal instruction that is not delegated and so traps to M mode. */
    li      t0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_BREAKPOINT)
    csrw    medeleg, t0

    EXPECT_TRAP 1f
    la      a0, u_mode_delegated
    li      a1, MODE_U
    call    enter_mode
1:  csrw    medeleg, zero

    la      t0, s_area
    ld      t0, AREA_NEXT(t0)
    li      t1, 2
    beq     t0, t1, 2f
    la      a0, str_s_count_bad     # S handler did not run exactly twice
    call    uart_puts
    call    count_failure
2:
    la      a0, str_deleg_ecall
    li      a1, CAUSE_ECALL_U
    la      a2, u_deleg_ecall
    li      a3, 1
    li      a4, 0
    la      a5, s_area + AREA_REC
    la      a6, str_s
    call    report

    la      a0, str_deleg_ebreak
    li      a1, CAUSE_BREAKPOINT
    la      a2, u_deleg_ebreak
    li      a3, 0
    la      a5, s_area + AREA_REC + REC_SIZE
    la      a6, str_s
    call    report

    la      a2, u_deleg_back_to_m
    li      a3, 0
    REPORT  str_deleg_back, CAUSE_ILLEGAL

/* ---- summary and power-off ------------------------------------------------ */

    la      a0, str_summary1
    call    uart_puts
    la      t0, check_count
    ld      a0, 0(t0)
    call    uart_putdec
    la      a0, str_summary2
    call    uart_puts
    la      t0, fail_count
    ld      a0, 0(t0)
    call    uart_putdec
    la      a0, str_summary3
    call    uart_puts

    la      t0, fail_count
    ld      t0, 0(t0)
    li      t1, FINISHER
    li      t2, FINISHER_PASS
    beqz    t0, 1f
    li      t2, (1 << 16) | FINISHER_FAIL
1:  sw      t2, 0(t1)
2:  j       2b

/* ======================================================================== */
/* Code run in supervisor and user mode.                                    */

s_mode_ecall:
    ecall                           # S mode -> M mode, mcause 9

u_mode_ecall:
    ecall                           # U mode -> M mode, mcause 8

u_mode_csr:
    csrr    t2, mstatus             # machine CSR from U mode: illegal

u_mode_delegated:
u_deleg_ecall:
    ecall                           # delegated: -> s_trap, sret back here + 4
u_deleg_ebreak:
    ebreak                          # delegated: -> s_trap, sret back here + 4
u_deleg_back_to_m:
    csrr    t2, mstatus             # not delegated: -> m_trap

/* ======================================================================== */
/* Trap handlers.                                                           */

/*
 * Machine-mode trap handler (mtvec, direct mode).  Records the trap CSRs
 * in the record of m_area, then continues at m_area.resume in M mode.
 * Only t0 and t1 are used (t0 saved in m_area, t1 swapped with mscratch).
 */
    .balign 4
m_trap:
    csrrw   t1, mscratch, t1        # t1 = m_area, mscratch = interrupted t1
    sd      t0, AREA_SAVE0(t1)
    csrr    t0, mcause
    sd      t0, AREA_REC + REC_CAUSE(t1)
    csrr    t0, mepc
    sd      t0, AREA_REC + REC_EPC(t1)
    csrr    t0, mtval
    sd      t0, AREA_REC + REC_TVAL(t1)
    csrr    t0, mstatus
    srli    t0, t0, MSTATUS_MPP_SHIFT
    andi    t0, t0, 3
    sd      t0, AREA_REC + REC_MODE(t1)
    ld      t0, AREA_REC + REC_COUNT(t1)
    addi    t0, t0, 1
    sd      t0, AREA_REC + REC_COUNT(t1)

    ld      t0, AREA_RESUME(t1)
    beqz    t0, unexpected_trap
    sd      zero, AREA_RESUME(t1)   # one trap per EXPECT_TRAP
    csrw    mepc, t0
    li      t0, MSTATUS_MPP_MASK    # return to machine mode
    csrs    mstatus, t0

    ld      t0, AREA_SAVE0(t1)
    csrrw   t1, mscratch, t1        # restore t1 and mscratch
    mret

/* A trap nobody asked for: report it and stop with exit status 2. */
unexpected_trap:
    la      sp, stack_top
    la      a0, str_unexpected
    call    uart_puts
    la      a0, str_m
    la      a1, m_area + AREA_REC
    call    print_record
    li      a0, '\n'
    call    uart_putc
    li      t0, FINISHER
    li      t1, (2 << 16) | FINISHER_FAIL
    sw      t1, 0(t0)
1:  j       1b

/*
 * Supervisor-mode trap handler (stvec), for exceptions delegated through
 * medeleg.  Records scause/sepc/stval/SPP in the next record of s_area,
 * skips the trapping instruction and returns with sret.
 */
    .balign 4
s_trap:
    csrrw   t1, sscratch, t1        # t1 = s_area
    sd      t0, AREA_SAVE0(t1)
    sd      t2, AREA_SAVE1(t1)

    ld      t0, AREA_NEXT(t1)       # t2 = &record[next] (last one is reused)
    li      t2, S_RECORDS - 1
    bltu    t0, t2, 1f
    mv      t0, t2
1:  addi    t2, t0, 1
    sd      t2, AREA_NEXT(t1)
    li      t2, REC_SIZE
    mul     t0, t0, t2
    add     t2, t1, t0
    addi    t2, t2, AREA_REC

    csrr    t0, scause
    sd      t0, REC_CAUSE(t2)
    csrr    t0, stval
    sd      t0, REC_TVAL(t2)
    csrr    t0, sstatus
    andi    t0, t0, SSTATUS_SPP
    snez    t0, t0                  # 1 = came from S mode, 0 = from U mode
    sd      t0, REC_MODE(t2)
    ld      t0, REC_COUNT(t2)
    addi    t0, t0, 1
    sd      t0, REC_COUNT(t2)
    csrr    t0, sepc
    sd      t0, REC_EPC(t2)

    /* sepc += length of the trapping instruction (2 or 4 bytes). */
    lhu     t2, 0(t0)
    andi    t2, t2, 3
    xori    t2, t2, 3               # zero for a 32-bit instruction
    addi    t0, t0, 2
    bnez    t2, 2f
    addi    t0, t0, 2
2:  csrw    sepc, t0

    ld      t0, AREA_SAVE0(t1)
    ld      t2, AREA_SAVE1(t1)
    csrrw   t1, sscratch, t1        # restore t1 and sscratch
    sret

/* ======================================================================== */
/* Helpers (machine mode only).                                             */

/* enter_mode(a0 = entry point, a1 = MODE_U or MODE_S): mret into it. */
enter_mode:
    li      t0, MSTATUS_MPP_MASK
    csrc    mstatus, t0
    slli    a1, a1, MSTATUS_MPP_SHIFT
    csrs    mstatus, a1
    csrw    mepc, a0
    mret

/*
 * report: print one check line and count it.
 *   a0 = check name          a1 = expected cause     a2 = expected epc
 *   a3 = 1 to check tval     a4 = expected tval
 *   a5 = trap record         a6 = CSR prefix ("m" or "s")
 *   a7 = another accepted cause (report_alt only)
 * Passes when exactly one trap was recorded with the expected values.
 * Clears the record's trap count afterwards.
 */
report:
    mv      a7, a1                  # only one accepted cause
report_alt:
    addi    sp, sp, -80
    sd      s7, 64(sp)
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    mv      s0, a0
    mv      s1, a1
    mv      s2, a2
    mv      s3, a3
    mv      s4, a4
    mv      s5, a5
    mv      s6, a6
    mv      s7, a7

    li      a1, 34
    call    uart_puts_padded

    ld      t0, REC_COUNT(s5)
    bnez    t0, 1f
    la      a0, str_no_trap         # the instruction did not trap at all
    call    uart_puts
    la      t0, m_area              # forget the unused resume address
    sd      zero, AREA_RESUME(t0)
    j       .Lreport_fail
1:
    mv      a0, s6
    mv      a1, s5
    call    print_record

    ld      t0, REC_COUNT(s5)
    li      t1, 1
    bne     t0, t1, .Lreport_fail
    ld      t0, REC_CAUSE(s5)
    beq     t0, s1, 2f
    bne     t0, s7, .Lreport_fail
2:
    ld      t0, REC_EPC(s5)
    bne     t0, s2, .Lreport_fail
    beqz    s3, .Lreport_ok
    ld      t0, REC_TVAL(s5)
    bne     t0, s4, .Lreport_fail
.Lreport_ok:
    la      a0, str_ok
    call    uart_puts
    j       .Lreport_done
.Lreport_fail:
    la      a0, str_fail
    call    uart_puts
    call    count_failure
.Lreport_done:
    sd      zero, REC_COUNT(s5)
    la      t0, check_count
    ld      t1, 0(t0)
    addi    t1, t1, 1
    sd      t1, 0(t0)

    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    ld      s4, 40(sp)
    ld      s5, 48(sp)
    ld      s6, 56(sp)
    ld      s7, 64(sp)
    addi    sp, sp, 80
    ret

/* report_value: a check without a trap.  a0 = name, a1 = value read,
 * a2 = expected value. */
report_value:
    addi    sp, sp, -32
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    mv      s0, a1
    mv      s1, a2
    li      a1, 34
    call    uart_puts_padded
    la      a0, str_value
    call    uart_puts
    mv      a0, s0
    call    uart_puthex
    la      a0, str_no_trap_ok
    call    uart_puts
    beq     s0, s1, 1f
    la      a0, str_fail
    call    uart_puts
    call    count_failure
    j       2f
1:  la      a0, str_ok
    call    uart_puts
2:  la      t0, check_count
    ld      t1, 0(t0)
    addi    t1, t1, 1
    sd      t1, 0(t0)
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    addi    sp, sp, 32
    ret

count_failure:
    la      t0, fail_count
    ld      t1, 0(t0)
    addi    t1, t1, 1
    sd      t1, 0(t0)
    ret

/* print_record(a0 = prefix "m"/"s", a1 = record):
 * "mcause=0x.. mepc=0x.. mtval=0x.. from X" */
print_record:
    addi    sp, sp, -32
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    mv      s0, a0
    mv      s1, a1

    mv      a0, s0
    call    uart_puts
    la      a0, str_cause
    call    uart_puts
    ld      a0, REC_CAUSE(s1)
    call    uart_puthex

    li      a0, ' '
    call    uart_putc
    mv      a0, s0
    call    uart_puts
    la      a0, str_epc
    call    uart_puts
    ld      a0, REC_EPC(s1)
    call    uart_puthex

    li      a0, ' '
    call    uart_putc
    mv      a0, s0
    call    uart_puts
    la      a0, str_tval
    call    uart_puts
    ld      a0, REC_TVAL(s1)
    call    uart_puthex

    la      a0, str_from
    call    uart_puts
    ld      t0, REC_MODE(s1)
    la      t1, mode_letters
    add     t1, t1, t0
    lbu     a0, 0(t1)
    call    uart_putc

    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    addi    sp, sp, 32
    ret

/* uart_putc(a0 = character) */
uart_putc:
    li      t0, UART_BASE
1:  lbu     t1, UART_LSR(t0)
    andi    t1, t1, LSR_THRE
    beqz    t1, 1b
    sb      a0, UART_THR(t0)
    ret

/* uart_puts(a0 = NUL-terminated string); returns the length in a0 */
uart_puts:
    mv      t2, a0
    li      t0, UART_BASE
1:  lbu     t3, 0(t2)
    beqz    t3, 3f
2:  lbu     t1, UART_LSR(t0)
    andi    t1, t1, LSR_THRE
    beqz    t1, 2b
    sb      t3, UART_THR(t0)
    addi    t2, t2, 1
    j       1b
3:  sub     a0, t2, a0
    ret

/* uart_puts_padded(a0 = string, a1 = width): string, then spaces up to width */
uart_puts_padded:
    addi    sp, sp, -16
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    mv      s0, a1
    call    uart_puts
    sub     s0, s0, a0
1:  blez    s0, 2f
    li      a0, ' '
    call    uart_putc
    addi    s0, s0, -1
    j       1b
2:  ld      ra, 0(sp)
    ld      s0, 8(sp)
    addi    sp, sp, 16
    ret

/* uart_puthex(a0 = value): "0x" and the hex digits, no leading zeros */
uart_puthex:
    addi    sp, sp, -32
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    mv      s0, a0
    li      a0, '0'
    call    uart_putc
    li      a0, 'x'
    call    uart_putc
    li      s1, 60                  # shift of the current digit
    li      s2, 0                   # printed a non-zero digit yet?
1:  srl     t0, s0, s1
    andi    t0, t0, 15
    bnez    t0, 2f
    bnez    s2, 2f
    bnez    s1, 3f                  # skip leading zeros, but print "0x0"
2:  li      s2, 1
    la      t1, hex_digits
    add     t1, t1, t0
    lbu     a0, 0(t1)
    call    uart_putc
3:  addi    s1, s1, -4
    bgez    s1, 1b
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    addi    sp, sp, 32
    ret

/* uart_putdec(a0 = value < 10^20) */
uart_putdec:
    addi    sp, sp, -48
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    addi    s0, sp, 47              # build the digits backwards on the stack
    sb      zero, 0(s0)
    li      t1, 10
1:  remu    t0, a0, t1
    divu    a0, a0, t1
    addi    t0, t0, '0'
    addi    s0, s0, -1
    sb      t0, 0(s0)
    bnez    a0, 1b
    mv      a0, s0
    call    uart_puts
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    addi    sp, sp, 48
    ret

/* ======================================================================== */

    .section .rodata
hex_digits:         .ascii "0123456789abcdef"
mode_letters:       .ascii "USHM"   # 0 = U, 1 = S, 3 = M

str_banner:         .asciz "RISC-V trap tour: one line per check (cause, epc, tval as read in the handler)\n"
str_m:              .asciz "m"
str_s:              .asciz "s"
str_cause:          .asciz "cause="
str_epc:            .asciz "epc="
str_tval:           .asciz "tval="
str_from:           .asciz " from "
str_ok:             .asciz "  ok\n"
str_fail:           .asciz "  FAIL\n"
str_no_trap:        .asciz "no trap was taken"
str_value:          .asciz "value="
str_no_trap_ok:     .asciz ", no trap"
str_unexpected:     .asciz "UNEXPECTED TRAP: "
str_s_count_bad:    .asciz "S-mode handler did not run exactly twice  FAIL\n"

str_ecall_m:        .asciz "ecall in M mode"
str_ebreak_m:       .asciz "ebreak in M mode"
str_illegal_zero:   .asciz "illegal: all-zero instruction"
str_illegal_csr:    .asciz "illegal: read of CSR 0x7ff"
str_illegal_ro:     .asciz "illegal: write to mhartid"
str_mis_lw:         .asciz "misaligned lw (buf+1)"
str_mis_ld:         .asciz "misaligned ld (buf+3)"
str_mis_sw_lo:      .asciz "misaligned sw (buf+6), buf[0..7]"
str_mis_sw_hi:      .asciz "misaligned sw (buf+6), buf[8..15]"
str_mis_amo:        .asciz "misaligned amoadd.w (buf+2)"
str_mis_lr:         .asciz "misaligned lr.w (buf+1)"
str_load_fault:     .asciz "load from unmapped 0x0"
str_store_fault:    .asciz "store to unmapped 0x40"
str_fetch_fault:    .asciz "jump to unmapped 0x0"
str_ecall_s:        .asciz "ecall in S mode"
str_ecall_u:        .asciz "ecall in U mode"
str_u_csr:          .asciz "illegal: mstatus read in U mode"
str_deleg_ecall:    .asciz "delegated ecall U -> S handler"
str_deleg_ebreak:   .asciz "delegated ebreak U -> S handler"
str_deleg_back:     .asciz "after sret: mstatus read in U"
str_summary1:       .asciz "traps: "
str_summary2:       .asciz " checks, "
str_summary3:       .asciz " failed\n"

    .section .data
    .balign 8
/* 16 bytes with distinct values, for the misaligned accesses */
buf:
    .dword  0x8877665544332211
    .dword  0x00ffeeddccbbaa99

    .section .bss
    .balign 8
check_count:    .skip 8
fail_count:     .skip 8
m_area:         .skip AREA_REC + REC_SIZE
s_area:         .skip AREA_REC + S_RECORDS * REC_SIZE

    .balign 16
stack:          .skip 4096
stack_top:
