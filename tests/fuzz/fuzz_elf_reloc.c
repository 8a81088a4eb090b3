/* libFuzzer harness for elf_relocate (shared/elf_reloc.c).
 *
 * The input is a loaded image (link address 0, run-time address KBASE)
 * whose dynamic table starts at its first byte. It is copied into an
 * allocation of exactly its size, so ASan reports any access outside the
 * view. Checked for every input:
 *  - the result is a relocation-stage code (or ELF_OK) with a message;
 *  - the same input gives the same result and the same bytes twice
 *    (nothing depends on memory outside the view);
 *  - an undefined-symbol report is a NUL-terminated name;
 *  - every changed byte was written by a counted relocation: a changed
 *    image has a report with rela + relr > 0 (a refused one only when a
 *    relocation rewrote the tables between the two passes; the host test
 *    shows that a table refused by the first pass changes nothing).
 * Every input is tried as an image of its own and XORed over a template
 * whose tables are valid (RELA of each type, JMPREL, RELR with a bitmap),
 * so a run from an empty corpus reaches the relocation code at once.
 *
 * Build: make build/fuzz/fuzz_elf_reloc
 * Run:   build/fuzz/fuzz_elf_reloc -max_total_time=120 CORPUS_DIR
 */
#include <elf.h>

#include "elf_reloc.h"
#include "fuzz_common.h"

#ifndef DT_RELR
#define DT_RELRSZ  35
#define DT_RELR    36
#define DT_RELRENT 37
#endif

#define KBASE       0xFFFFFFFF80000000ULL
#define DYN_BYTES   0x200        /* the PT_DYNAMIC's p_memsz, clipped to the image */
#define T_SIZE      0x800
#define T_RELA      0x200
#define T_JMP       0x280
#define T_RELR      0x2a0
#define T_SYM       0x2c0
#define T_STR       0x320
#define T_DATA      0x400

static enum elf_error relocate(uint8_t *m, size_t size, uint64_t slide, struct elf_reloc_report *r)
{
    struct elf_reloc_view v = { .base = m, .lo = KBASE, .size = size, .slide = slide };
    return elf_relocate(&v, KBASE, MIN(size, DYN_BYTES), r);
}

static void check_image(const uint8_t *file, size_t size, uint64_t slide)
{
    uint8_t *a = malloc(size ? size : 1), *b = malloc(size ? size : 1);
    struct elf_reloc_report ra, rb;

    REQUIRE(a && b);
    if (size) {
        memcpy(a, file, size);
        memcpy(b, file, size);
    }
    enum elf_error ea = relocate(size ? a : NULL, size, slide, &ra);
    enum elf_error eb = relocate(size ? b : NULL, size, slide, &rb);

    REQUIRE(ea == ELF_OK || (ea >= ELF_ERR_RELOC_FIRST && ea < ELF_ERR_COUNT) || ea == ELF_ERR_DYNAMIC);
    REQUIRE(strcmp(elf_strerror(ea), elf_strerror(ELF_ERR_COUNT)) != 0);
    REQUIRE(ea == eb && ra.rela == rb.rela && ra.relr == rb.relr);
    REQUIRE(size == 0 || memcmp(a, b, size) == 0);
    REQUIRE(memchr(ra.symbol, '\0', sizeof(ra.symbol)) != NULL);
    if (size && memcmp(a, file, size) != 0)
        REQUIRE(ra.rela + ra.relr > 0);
    free(a);
    free(b);
}

static void check_file(const uint8_t *file, size_t size)
{
    check_image(file, size, KBASE);   /* a PIE linked at 0 */
    check_image(file, size, 0);       /* an ET_EXEC: link == run */
}

/* ---- the template ---------------------------------------------------------- */

static void put(uint8_t *t, size_t at, const void *src, size_t n)
{
    memcpy(t + at, src, n);
}

static void template_image(uint8_t t[T_SIZE])
{
    static const char strs[] = "\0fn\0weak";
    const Elf64_Dyn dyn[] = {
        { DT_STRTAB, { T_STR } }, { DT_STRSZ, { sizeof(strs) } },
        { DT_SYMTAB, { T_SYM } }, { DT_SYMENT, { sizeof(Elf64_Sym) } },
        { DT_RELA, { T_RELA } }, { DT_RELASZ, { 4 * sizeof(Elf64_Rela) } },
        { DT_RELAENT, { sizeof(Elf64_Rela) } },
        { DT_JMPREL, { T_JMP } }, { DT_PLTRELSZ, { sizeof(Elf64_Rela) } }, { DT_PLTREL, { DT_RELA } },
        { DT_RELR, { T_RELR } }, { DT_RELRSZ, { 3 * 8 } }, { DT_RELRENT, { 8 } },
        { DT_NULL, { 0 } },
    };
    const Elf64_Rela rela[] = {
        { T_DATA + 0x00, ELF64_R_INFO(0, R_X86_64_RELATIVE), T_DATA + 0x100 },
        { T_DATA + 0x08, ELF64_R_INFO(1, R_X86_64_64), 8 },
        { T_DATA + 0x10, ELF64_R_INFO(1, R_X86_64_GLOB_DAT), 0 },
        { T_DATA + 0x18, ELF64_R_INFO(2, R_X86_64_64), 0 },
    };
    const Elf64_Rela jmp = { T_DATA + 0x20, ELF64_R_INFO(1, R_X86_64_JUMP_SLOT), 0 };
    const uint64_t relr[] = { T_DATA + 0x28, 0x7, T_DATA + 0x300 };
    const Elf64_Sym syms[3] = {
        [1] = { .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1,
                .st_value = T_DATA },
        [2] = { .st_name = 4, .st_info = ELF64_ST_INFO(STB_WEAK, STT_FUNC), .st_shndx = SHN_UNDEF },
    };

    memset(t, 0, T_SIZE);
    put(t, 0, dyn, sizeof(dyn));
    put(t, T_RELA, rela, sizeof(rela));
    put(t, T_JMP, &jmp, sizeof(jmp));
    put(t, T_RELR, relr, sizeof(relr));
    put(t, T_SYM, syms, sizeof(syms));
    put(t, T_STR, strs, sizeof(strs));
}

/* ---- entry point ------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check_file);
    fuzz_check_xor(data, size, template_image, T_SIZE, check_file);
    return 0;
}
