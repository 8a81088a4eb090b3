/* Integer constants that C and the assembler both read: the assembler knows
 * no U/ULL suffixes, C needs them for bits 31 and up. The hardware headers
 * in include/x86/ write every bit through these. */
#ifndef PAGODA_X86_BITS_H
#define PAGODA_X86_BITS_H

#ifdef __ASSEMBLER__
#define X86_U(x)   x
#define X86_ULL(x) x
#else
#define X86_U(x)   x##U
#define X86_ULL(x) x##ULL
#endif

#define BIT32(n) (X86_U(1) << (n))     /* in a 32-bit register */
#define BIT64(n) (X86_ULL(1) << (n))   /* in a 64-bit register or descriptor */

#endif
