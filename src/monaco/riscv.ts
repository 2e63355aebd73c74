// A small Monarch definition for RISC-V assembly: the disassembly listing
// ("00b7a023   sw      a1,0(a5)", "<main>:") and assembly sources (.S).
import type { languages } from 'monaco-editor';

const registers = [
  'zero', 'ra', 'sp', 'gp', 'tp', 'fp', 'pc',
  ...Array.from({ length: 7 }, (_, i) => `t${i}`),
  ...Array.from({ length: 12 }, (_, i) => `s${i}`),
  ...Array.from({ length: 8 }, (_, i) => `a${i}`),
  ...Array.from({ length: 32 }, (_, i) => `x${i}`),
  ...Array.from({ length: 12 }, (_, i) => `ft${i}`),
  ...Array.from({ length: 12 }, (_, i) => `fs${i}`),
  ...Array.from({ length: 8 }, (_, i) => `fa${i}`),
  ...Array.from({ length: 32 }, (_, i) => `f${i}`),
];

const csrs = [
  'mstatus', 'misa', 'medeleg', 'mideleg', 'mie', 'mtvec', 'mcounteren', 'mscratch', 'mepc', 'mcause', 'mtval', 'mip',
  'sstatus', 'sie', 'stvec', 'scounteren', 'sscratch', 'sepc', 'scause', 'stval', 'sip', 'satp', 'mhartid',
  'mvendorid', 'marchid', 'mimpid', 'cycle', 'time', 'instret', 'mcycle', 'minstret', 'pmpcfg0', 'pmpaddr0',
  'fflags', 'frm', 'fcsr',
];

export const RISCV_LANGUAGE = 'riscv';

export const riscvLanguage: languages.IMonarchLanguage = {
  defaultToken: '',
  registers,
  csrs,
  tokenizer: {
    root: [
      [/^Disassembly of section.*$/, 'comment'],
      [/^<[^>]+>:/, 'type.identifier'],
      [/^([0-9a-f]{4}(?: {4})?|[0-9a-f]{8})(?= {3})/, 'number.encoding', '@instruction'],
      [/^\s*[A-Za-z_.$][\w.$]*:/, 'type.identifier'],
      { include: '@common' },
      [/\.[A-Za-z_]\w*/, 'keyword.directive', '@operands'],
      [/[A-Za-z_][\w.]*/, 'keyword', '@operands'],
    ],
    instruction: [
      [/$/, '', '@pop'],
      [/\s+/, ''],
      [/[A-Za-z_][\w.]*/, { token: 'keyword', switchTo: '@operands' }],
    ],
    operands: [
      [/$/, '', '@pop'],
      { include: '@common' },
      [/<[^>]+>/, 'type'],
      [/-?0x[0-9a-fA-F]+\b/, 'number'],
      [/-?\b\d+\b/, 'number'],
      [/[A-Za-z_.$][\w.$]*/, { cases: { '@registers': 'variable', '@csrs': 'variable.predefined', '@default': 'identifier' } }],
      [/[,()+-]/, 'delimiter'],
    ],
    common: [
      [/\s+/, ''],
      [/(#|\/\/|;).*$/, 'comment'],
      [/\/\*/, 'comment', '@blockComment'],
      [/"([^"\\]|\\.)*"/, 'string'],
    ],
    blockComment: [
      [/[^*]+/, 'comment'],
      [/\*\//, 'comment', '@pop'],
      [/\*/, 'comment'],
    ],
  },
};

export const riscvConfiguration: languages.LanguageConfiguration = {
  comments: { lineComment: '#', blockComment: ['/*', '*/'] },
  brackets: [['(', ')']],
};
