/* ELF-kind test kernel: relocations (tests/elf/, docs/bootinfo.md).
 *
 * Built from this one file as a PIE linked at 0 by ld's own default script
 * with RELR-packed relative relocations (pie-relr.elf: the program headers
 * an ordinary linker run makes, PT_GNU_RELRO, PT_GNU_EH_FRAME, PT_NOTE and
 * a data segment at an unaligned p_vaddr included), and as a shared object
 * whose global symbols are preemptible (shared-sym.elf, tests/elf/reloc.ld),
 * and twice more for the loader to refuse: with an undefined function
 * (shared-undefined.elf) and as a PIE that names ld.so (pie-interp.elf),
 * so that the loader has to apply R_X86_64_RELATIVE, RELR, R_X86_64_64,
 * R_X86_64_GLOB_DAT and R_X86_64_JUMP_SLOT. tests/elf/elf-tests.sh checks
 * with readelf that each file really holds the kinds it is meant to.
 * Every check compares a pointer the loader relocated with the address
 * the code computes from RIP, which needs no relocation; a pointer left
 * unrelocated would hold a small link-time address instead. */
#include "elftest.h"

#define NPTRS 150          /* > 63: RELR needs address words and several bitmaps */

/* Global, default visibility: preemptible in the shared build, so calls go
 * through the PLT (JUMP_SLOT) and address-taking through the GOT
 * (GLOB_DAT) or data (R_X86_64_64). The hidden aliases give RIP-relative
 * addresses of the same functions. */
int add_one(int x);
int twice(int x);
int add_one(int x) { return x + 1; }
int twice(int x) { return 2 * x; }
extern int add_one_here(int) __attribute__((alias("add_one"), visibility("hidden")));
extern int twice_here(int) __attribute__((alias("twice"), visibility("hidden")));

#ifdef ELFTEST_UNDEFINED
/* shared-undefined.elf: a call the linker leaves to a dynamic linker; the
 * loader must refuse the file, naming the symbol. */
int elftest_missing_function(int);
#define CALL_MISSING(x) elftest_missing_function(x)
#else
#define CALL_MISSING(x) (x)
#endif

/* Never defined: an undefined weak symbol is 0. */
extern int not_linked_in(int) __attribute__((weak));

static int negate(int x) { return -x; }

int (*const ops[])(int) = { add_one, twice, negate };
static const char *const words[] = { "alpha", "beta", "gamma" };
static int cells[NPTRS];
static int *const cell_ptrs[NPTRS] = {
#define P1(i) &cells[i],
#define P10(i) P1(i) P1(i + 1) P1(i + 2) P1(i + 3) P1(i + 4) P1(i + 5) P1(i + 6) P1(i + 7) P1(i + 8) P1(i + 9)
    P10(0) P10(10) P10(20) P10(30) P10(40) P10(50) P10(60) P10(70) P10(80) P10(90)
    P10(100) P10(110) P10(120) P10(130) P10(140)
};
/* A pointer at an odd offset: RELR only packs aligned words, so this one
 * stays an R_X86_64_RELATIVE in .rela.dyn even in the RELR build. */
struct odd_place { char pad; const char *p; } __attribute__((packed));
static struct odd_place odd = { 'x', "odd" };
static struct odd_place *volatile odd_ref = &odd;   /* no folding of odd.p */
int (*volatile weak_ptr)(int) = not_linked_in;

/* The image's first and last byte: tests/elf/reloc.ld's symbols, or with
 * ld's default script the ones it provides (ELFTEST_IMAGE_START="__ehdr_start",
 * ELFTEST_IMAGE_END="_end"). Hidden: RIP-relative in the shared build too. */
#ifndef ELFTEST_IMAGE_START
#define ELFTEST_IMAGE_START "__image_start"
#define ELFTEST_IMAGE_END   "__image_end"
#endif
extern const char image_start[] __asm__(ELFTEST_IMAGE_START) __attribute__((visibility("hidden")));
extern const char image_end[] __asm__(ELFTEST_IMAGE_END) __attribute__((visibility("hidden")));
static const char alpha_text[] = "alpha";

static bool in_image(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= ELFTEST_RIP_OBJ(image_start) && a < ELFTEST_RIP_OBJ(image_end);
}

static bool same_text(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool check_function_table(void)
{
    bool ok = ops[0] == (int (*)(int))ELFTEST_RIP_FN(add_one_here) &&
              ops[1] == (int (*)(int))ELFTEST_RIP_FN(twice_here) &&
              ops[2] == (int (*)(int))ELFTEST_RIP_FN(negate);
    /* only call through pointers known to be right */
    return ok && ops[0](41) == 42 && ops[1](21) == 42 && ops[2](-42) == 42;
}

static bool check_strings(void)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!in_image(words[i]))
            return false;
    return same_text(words[0], alpha_text) && same_text(words[1], "beta") &&
           same_text(words[2], "gamma");
}

static bool check_pointer_array(void)
{
    uintptr_t base = ELFTEST_RIP_OBJ(cells);
    for (size_t i = 0; i < NPTRS; i++)
        if ((uintptr_t)cell_ptrs[i] != base + i * sizeof(int))
            return false;
    return true;
}

__attribute__((used)) void elf_test_main(void)
{
    bool ok = true;

    elftest_puts("elftest: kernel at ");
    elftest_hex(ELFTEST_RIP_OBJ(image_start));
    elftest_puts("\n");
    ok &= elftest_check("running-higher-half", ELFTEST_RIP_OBJ(image_start) >= 0xffff800000000000ULL);
    ok &= elftest_check("function-table", check_function_table());
    ok &= elftest_check("string-table", check_strings());
    ok &= elftest_check("pointer-array", check_pointer_array());
    ok &= elftest_check("unaligned-pointer", in_image(odd_ref->p) && same_text(odd_ref->p, "odd"));
    /* direct calls: through the PLT (JUMP_SLOT) in the shared build */
    ok &= elftest_check("plt-calls", add_one(1) == 2 && twice(CALL_MISSING(3)) == 6);
    /* &add_one: through the GOT (GLOB_DAT) in the shared build */
    ok &= elftest_check("got-address", (uintptr_t)&add_one == ELFTEST_RIP_FN(add_one_here));
    ok &= elftest_check("weak-undefined", weak_ptr == 0 && &not_linked_in == 0);
    elftest_finish(ok);
}

/* The loader jumps here with a 16-byte aligned stack minus nothing pushed:
 * call keeps the ABI's alignment for the C code. */
__asm__(".text\n"
        ".globl elf_test_entry\n"
        "elf_test_entry:\n"
        "    andq $-16, %rsp\n"
        "    call elf_test_main\n"
        "1:  hlt\n"
        "    jmp 1b\n");
