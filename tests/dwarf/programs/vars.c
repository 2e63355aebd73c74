// Variables, types and scopes for tests/dwarf/variables.test.ts: built at -O0
// and -O2, run under QEMU with GDB and on Hindsight, whose `print`, `info
// locals` and `info args` must agree.
#include <stdio.h>
#include <stdbool.h>

enum mode { MODE_OFF, MODE_SLOW, MODE_FAST = 5 };
enum flags { F_READ = 1, F_WRITE = 2, F_EXEC = 4 };

typedef unsigned int uint;
typedef void (*handler_t)(int);

struct bits {
  unsigned ready : 1;
  unsigned count : 5;
  signed level : 4;
  unsigned char tag;
};

union word {
  unsigned int u;
  float f;
  unsigned char b[4];
};

struct node {
  enum mode mode;
  const char *name;
  struct node *next;
  int values[3];
  struct bits bits;
  handler_t handler;
};

struct node nodes[2];
int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
char label[8] = "abc";
static int counter = 7;
volatile int sink;
double ratio = 2.5;
float scale = 0.25f;
bool enabled = true;
long big = -1234567890123L;
unsigned short half = 65535;
signed char tiny = -5;
union word word = {.u = 0x40490fdb};
int zeros[16];
static const char message[] = "hello, world";
uint total = 42;
enum flags perms = F_READ | F_EXEC;

void handler(int code) {
  sink = code;
}

__attribute__((noinline)) int sum_values(const struct node *n, int bias) {
  int total = bias;
  for (int i = 0; i < 3; i++) {
    int v = n->values[i];
    total += v;
  }
  sink = total;
  return total;
}

static inline int scaled(int x, int factor) {
  int product = x * factor;
  sink = product;
  return product + 1;
}

__attribute__((noinline)) int walk(struct node *head, int depth) {
  int steps = 0;
  struct node *p = head;
  while (p) {
    char initial = p->name[0];
    {
      int weight = scaled(p->values[0], depth);
      steps += weight + initial;
    }
    sink = steps;
    p = p->next;
  }
  return steps;
}

int main(void) {
  union word local = word;
  struct bits b = {.ready = 1, .count = 17, .level = -3, .tag = 'x'};
  nodes[0] = (struct node){MODE_FAST, "first", &nodes[1], {10, 20, 30}, b, handler};
  nodes[1] = (struct node){MODE_SLOW, "second", 0, {-1, -2, -3}, {0, 3, 7, 0}, 0};
  counter++;
  int s = sum_values(&nodes[0], counter);
  int w = walk(nodes, 3);
  nodes[0].handler(s + w);
  local.u += (unsigned)w;
  sink = (int)local.u;
  printf("%d %d %d\n", s, w, sink);
  return 0;
}
