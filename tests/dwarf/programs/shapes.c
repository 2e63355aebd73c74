/* A program for the bad-debug-info tests (tests/dwarf/bad-info.test.ts): the
 * types whose DIEs they break (arrays, typedefs, structs, pointers, an array
 * with a bound of 2^40 that is only ever pointed to). */
typedef int cell;
struct box { cell w, h; struct box *next; char tag[4]; };
cell grid[3][4] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 10, 11, 12 } };
struct box boxes[2] = { { 1, 2, 0, "ab" }, { 3, 4, &boxes[0], "cd" } };
static int (*huge)[1L << 40];
volatile long sink;

int area(const struct box *b)
{
    int a = b->w * b->h;
    sink = a + grid[1][2] + (huge != 0);
    return a;
}

int main(void)
{
    int total = 0;
    for (int i = 0; i < 2; i++) total += area(&boxes[i]);
    sink = total;
    return 0;
}
