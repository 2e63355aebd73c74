/*
 * hello.c - the smallest example: print a greeting and exit with status 0.
 *
 * Output goes through picolibc's semihosting stdout (one SYS_WRITEC call per
 * character); the return value of main() becomes the exit status reported by
 * SYS_EXIT.
 */
#include <stdio.h>

int main(void)
{
    printf("Hello, world!\n");
    printf("This is a RISC-V program running on the virt board.\n");
    return 0;
}
