/*
 * echo.c - read console input line by line until end of input, echo every
 * line back upper-cased with a line number, then print a summary.
 *
 * Input comes from the semihosting console.  picolibc's own stdin uses
 * SYS_READC, which returns one character at a time and has no way to
 * report end-of-file, so this program instead opens the special file ":tt"
 * for reading (SYS_OPEN, mode "r") and reads it with SYS_READ, which
 * reports end of input (0 bytes read).  fdopen() wraps that handle in a
 * buffered FILE.
 *
 * Running it under QEMU with input on stdin.  The UART must not read the
 * same stdin (hence -serial none), and semihosting output is sent to
 * stdout through a file chardev (without chardev=, QEMU writes semihosting
 * output to stderr):
 *
 *   printf 'hello world\nsecond line\n' | qemu-system-riscv64 -M virt \
 *       -display none -monitor none -bios none -kernel echo.elf \
 *       -icount shift=0,sleep=off -serial none \
 *       -chardev file,id=out,path=/dev/stdout,append=on \
 *       -semihosting-config enable=on,target=native,chardev=out
 *
 * (QEMU reads ":tt" straight from its own standard input.)
 */
#include <stdio.h>
#include <fcntl.h>
#include <ctype.h>

#define MAX_LINE 256

/*
 * Read one line (without its '\n') into buf.  Returns the line length, or
 * -1 at end of input.  A last line without a trailing newline still counts;
 * overlong lines are split into MAX_LINE-1 character pieces.
 */
static int read_line(FILE *in, char *buf, int size)
{
    int len = 0;
    int c;
    while ((c = getc(in)) != EOF) {
        if (c == '\n')
            break;
        buf[len++] = (char)c;
        if (len == size - 1)
            break;
    }
    buf[len] = '\0';
    if (c == EOF && len == 0)
        return -1;
    return len;
}

/* Count the whitespace-separated words in a line. */
static int count_words(const char *s)
{
    int words = 0;
    int in_word = 0;
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return words;
}

int main(void)
{
    int fd = open(":tt", O_RDONLY);
    FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (in == NULL) {
        printf("echo: cannot open the console for reading\n");
        return 2;
    }

    char line[MAX_LINE];
    int lines = 0, words = 0, chars = 0;
    int len;

    while ((len = read_line(in, line, sizeof line)) >= 0) {
        lines++;
        words += count_words(line);
        chars += len;

        for (int i = 0; i < len; i++)
            line[i] = (char)toupper((unsigned char)line[i]);
        if (len > 0)
            printf("%3d: %s\n", lines, line);
        else
            printf("%3d:\n", lines);           /* no trailing blank */
    }

    printf("--\n%d lines, %d words, %d characters (excluding newlines)\n",
           lines, words, chars);
    return 0;
}
