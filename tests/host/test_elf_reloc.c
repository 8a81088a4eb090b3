/* Host tests for shared/elf_reloc.c.
 *
 * A loaded PIE image is built in an exact-size malloc (ASan flags any
 * access past it), linked at 0 and "loaded" at KBASE (slide = KBASE):
 *
 *   link 0x0000 dynamic table   0x0400 RELA   0x0800 JMPREL   0x0a00 RELR
 *        0x0c00 symbols         0x0e00 strings
 *        0x1000 .. IMG_SIZE     data, pre-filled with FILL (relocation targets)
 *
 * Each test describes the tables in a struct spec, mutates it, writes it
 * out and runs elf_relocate. Expected values are computed here from the
 * psABI formulas; RELR is checked against a decoder written differently
 * (bit scanning over a list of words, counting every hit).
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf_reloc.h"

#ifndef DT_RELR
#define DT_RELRSZ  35
#define DT_RELR    36
#define DT_RELRENT 37
#endif

#define KBASE    0xffffffff80000000ULL
#define IMG_SIZE 0x4000ULL
#define FILL     0x5a5a5a5a5a5a5a5aULL
#define AT_DYN   0x0000
#define AT_RELA  0x0400
#define AT_JMP   0x0800
#define AT_RELR  0x0a00
#define AT_SYM   0x0c00
#define AT_STR   0x0e00
#define AT_DATA  0x1000
#define MAX_ENT  40
#define MAX_RELR ((AT_SYM - AT_RELR) / 8)

/* Symbols: 0 is STN_UNDEF. */
enum { SYM_NONE, SYM_FN, SYM_ABS, SYM_WEAK_UNDEF, SYM_MISSING, SYM_LONG_NAME, NSYMS };
#define FN_VALUE  0x2000ULL
#define ABS_VALUE 0x1234ULL

struct spec {
    Elf64_Dyn dyn[MAX_ENT];
    size_t ndyn;
    Elf64_Rela rela[MAX_ENT], jmp[MAX_ENT];
    size_t nrela, njmp;
    uint64_t relr[MAX_RELR];
    size_t nrelr;
    uint64_t dyn_size;    /* what the caller passes (PT_DYNAMIC p_memsz) */
    vaddr_t dyn_at;       /* run-time address of the table */
    bool sizes_set;       /* a mutation wrote the size tags: spec_finish keeps them */
};

static const char strtab[] = "\0defined_fn\0abs\0weak\0missing_function\0"
                             "a_symbol_name_far_longer_than_the_sixty_four_bytes_the_report_keeps";
#define STR_FN      1
#define STR_ABS     12
#define STR_WEAK    16
#define STR_MISSING 21
#define STR_LONG    38

static void dyn_add(struct spec *s, int64_t tag, uint64_t val)
{
    assert_true(s->ndyn < MAX_ENT);
    s->dyn[s->ndyn++] = (Elf64_Dyn){ .d_tag = tag, .d_un.d_val = val };
}

/* Drop every entry with this tag. */
static void dyn_remove(struct spec *s, int64_t tag)
{
    size_t j = 0;
    for (size_t i = 0; i < s->ndyn; i++)
        if (s->dyn[i].d_tag != tag)
            s->dyn[j++] = s->dyn[i];
    s->ndyn = j;
}

static void dyn_set(struct spec *s, int64_t tag, uint64_t val)
{
    for (size_t i = 0; i < s->ndyn; i++)
        if (s->dyn[i].d_tag == tag)
            s->dyn[i].d_un.d_val = val;
}

/* Tags as a linker writes them; the sizes are fixed up by spec_finish. */
static void spec_init(struct spec *s)
{
    memset(s, 0, sizeof(*s));
    dyn_add(s, DT_HASH, 0x0f00);            /* ignored */
    dyn_add(s, DT_STRTAB, AT_STR);
    dyn_add(s, DT_SYMTAB, AT_SYM);
    dyn_add(s, DT_STRSZ, sizeof(strtab));
    dyn_add(s, DT_SYMENT, sizeof(Elf64_Sym));
    dyn_add(s, DT_RELA, AT_RELA);
    dyn_add(s, DT_RELASZ, 0);
    dyn_add(s, DT_RELAENT, sizeof(Elf64_Rela));
    dyn_add(s, DT_JMPREL, AT_JMP);
    dyn_add(s, DT_PLTRELSZ, 0);
    dyn_add(s, DT_PLTREL, DT_RELA);
    dyn_add(s, DT_RELR, AT_RELR);
    dyn_add(s, DT_RELRSZ, 0);
    dyn_add(s, DT_RELRENT, 8);
    dyn_add(s, DT_FLAGS_1, DF_1_PIE);       /* ignored */
    dyn_add(s, DT_NULL, 0);
    s->dyn_at = KBASE + AT_DYN;
    s->dyn_size = AT_RELA - AT_DYN;
}

static void rela(struct spec *s, uint64_t where, uint32_t type, uint32_t sym, int64_t addend)
{
    assert_true(s->nrela < MAX_ENT);
    s->rela[s->nrela++] = (Elf64_Rela){ where, ELF64_R_INFO(sym, type), addend };
}

static void spec_finish(struct spec *s)
{
    if (s->sizes_set)
        return;
    dyn_set(s, DT_RELASZ, s->nrela * sizeof(Elf64_Rela));
    dyn_set(s, DT_PLTRELSZ, s->njmp * sizeof(Elf64_Rela));
    dyn_set(s, DT_RELRSZ, s->nrelr * 8);
}

static Elf64_Sym sym(uint32_t name, unsigned char bind, uint16_t shndx, uint64_t value)
{
    return (Elf64_Sym){ .st_name = name, .st_info = ELF64_ST_INFO(bind, STT_FUNC),
                        .st_shndx = shndx, .st_value = value };
}

/* The image bytes for s: exact-size allocation, data pre-filled. */
static uint8_t *image_of(const struct spec *s)
{
    uint8_t *m = malloc(IMG_SIZE);
    const Elf64_Sym syms[NSYMS] = {
        [SYM_FN] = sym(STR_FN, STB_GLOBAL, 1, FN_VALUE),
        [SYM_ABS] = sym(STR_ABS, STB_GLOBAL, SHN_ABS, ABS_VALUE),
        [SYM_WEAK_UNDEF] = sym(STR_WEAK, STB_WEAK, SHN_UNDEF, 0),
        [SYM_MISSING] = sym(STR_MISSING, STB_GLOBAL, SHN_UNDEF, 0),
        [SYM_LONG_NAME] = sym(STR_LONG, STB_GLOBAL, SHN_UNDEF, 0),
    };

    assert_non_null(m);
    memset(m, 0, AT_DATA);
    for (uint64_t o = AT_DATA; o < IMG_SIZE; o += 8)
        memcpy(m + o, &(uint64_t){ FILL }, 8);
    memcpy(m + AT_DYN, s->dyn, s->ndyn * sizeof(Elf64_Dyn));
    memcpy(m + AT_RELA, s->rela, s->nrela * sizeof(Elf64_Rela));
    memcpy(m + AT_JMP, s->jmp, s->njmp * sizeof(Elf64_Rela));
    memcpy(m + AT_RELR, s->relr, s->nrelr * 8);
    memcpy(m + AT_SYM, syms, sizeof(syms));
    memcpy(m + AT_STR, strtab, sizeof(strtab));
    return m;
}

static struct elf_reloc_view view_of(uint8_t *m)
{
    return (struct elf_reloc_view){ .base = m, .lo = KBASE, .size = IMG_SIZE, .slide = KBASE };
}

static enum elf_error run(const struct spec *s, uint8_t *m, struct elf_reloc_report *r)
{
    struct elf_reloc_view v = view_of(m);
    return elf_relocate(&v, s->dyn_at, s->dyn_size, r);
}

static uint64_t word_at(const uint8_t *m, uint64_t link)
{
    uint64_t x;
    memcpy(&x, m + link, 8);
    return x;
}

/* ---- each relocation type ------------------------------------------------ */

struct type_case {
    const char *name;
    bool plt;           /* in DT_JMPREL rather than DT_RELA */
    uint32_t type, sym;
    int64_t addend;
    uint64_t want;
};

static const struct type_case type_cases[] = {
    { "RELATIVE",           false, R_X86_64_RELATIVE,  0,              0x1500, KBASE + 0x1500 },
    { "RELATIVE negative",  false, R_X86_64_RELATIVE,  0,              -16,    KBASE - 16 },
    { "64 defined",         false, R_X86_64_64,        SYM_FN,         8,      KBASE + FN_VALUE + 8 },
    { "64 absolute",        false, R_X86_64_64,        SYM_ABS,        1,      ABS_VALUE + 1 },
    { "64 weak undefined",  false, R_X86_64_64,        SYM_WEAK_UNDEF, 5,      5 },
    { "64 STN_UNDEF",       false, R_X86_64_64,        SYM_NONE,       7,      7 },
    { "GLOB_DAT",           false, R_X86_64_GLOB_DAT,  SYM_FN,         99,     KBASE + FN_VALUE },
    { "GLOB_DAT absolute",  false, R_X86_64_GLOB_DAT,  SYM_ABS,        0,      ABS_VALUE },
    { "JUMP_SLOT in RELA",  false, R_X86_64_JUMP_SLOT, SYM_FN,         0,      KBASE + FN_VALUE },
    { "JUMP_SLOT",          true,  R_X86_64_JUMP_SLOT, SYM_FN,         0,      KBASE + FN_VALUE },
    { "GLOB_DAT weak",      true,  R_X86_64_GLOB_DAT,  SYM_WEAK_UNDEF, 0,      0 },
    { "NONE",               false, R_X86_64_NONE,      SYM_FN,         3,      FILL },
};

static void test_each_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(type_cases); i++) {
        const struct type_case *c = &type_cases[i];
        const uint64_t where = 0x2008;
        struct elf_reloc_report r;
        struct spec s;

        spec_init(&s);
        if (c->plt)
            s.jmp[s.njmp++] = (Elf64_Rela){ where, ELF64_R_INFO(c->sym, c->type), c->addend };
        else
            rela(&s, where, c->type, c->sym, c->addend);
        spec_finish(&s);
        uint8_t *m = image_of(&s);
        uint8_t *before = image_of(&s);
        enum elf_error err = run(&s, m, &r);
        if (err != ELF_OK)
            fail_msg("%s: %s", c->name, elf_strerror(err));
        if (word_at(m, where) != c->want)
            fail_msg("%s: got 0x%lx want 0x%lx", c->name, (unsigned long)word_at(m, where),
                     (unsigned long)c->want);
        /* nothing else changed */
        memcpy(before + where, m + where, 8);
        assert_memory_equal(m, before, IMG_SIZE);
        assert_int_equal(r.rela, 1);
        assert_int_equal(r.relr, 0);
        free(m);
        free(before);
    }
}

/* An ET_EXEC with a PT_DYNAMIC: slide 0, RELATIVE writes the addend. */
static void test_slide_zero(void **state)
{
    struct elf_reloc_report r;
    struct spec s;
    (void)state;

    spec_init(&s);
    for (size_t i = 0; i < s.ndyn; i++)        /* the tables' addresses are link = run now */
        if (s.dyn[i].d_tag == DT_STRTAB || s.dyn[i].d_tag == DT_SYMTAB || s.dyn[i].d_tag == DT_RELA ||
            s.dyn[i].d_tag == DT_JMPREL || s.dyn[i].d_tag == DT_RELR)
            s.dyn[i].d_un.d_ptr += KBASE;
    rela(&s, KBASE + 0x2000, R_X86_64_RELATIVE, 0, (int64_t)(KBASE + 0x3000));
    rela(&s, KBASE + 0x2008, R_X86_64_64, SYM_FN, 0);
    s.relr[s.nrelr++] = KBASE + 0x2010;
    spec_finish(&s);
    uint8_t *m = image_of(&s);
    struct elf_reloc_view v = { .base = m, .lo = KBASE, .size = IMG_SIZE, .slide = 0 };
    assert_int_equal(elf_relocate(&v, s.dyn_at, s.dyn_size, &r), ELF_OK);
    assert_int_equal(word_at(m, 0x2000), KBASE + 0x3000);
    assert_int_equal(word_at(m, 0x2008), FN_VALUE);      /* st_value unslid */
    assert_int_equal(word_at(m, 0x2010), FILL);          /* += 0 */
    free(m);
}

/* ---- RELR against a reference decoder ------------------------------------- */

/* Reference: walk the words keeping a list of (base, count) runs, then
 * expand bit by bit with a mask that shifts the other way. hits[w] counts
 * how often the data word at link address AT_DATA + 8 * w is relocated. */
static void relr_reference(const uint64_t *words, size_t n, unsigned *hits, size_t nhits)
{
    uint64_t base = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t w = words[i];
        if (!(w & 1)) {
            hits[(w - AT_DATA) / 8]++;
            base = w + 8;
            continue;
        }
        for (uint64_t mask = 1ULL << 63, k = 62; mask > 1; mask >>= 1, k--) {
            if (w & mask) {
                uint64_t a = base + 8 * k;
                assert_true(a >= AT_DATA && (a - AT_DATA) / 8 < nhits);
                hits[(a - AT_DATA) / 8]++;
            }
        }
        base += 8 * 63;
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random tables: an address in the first part of the data, then 0-3
 * bitmaps of random bits; repeated. Every target stays in the image. */
static size_t random_relr(uint64_t *w, size_t cap)
{
    size_t n = 0;
    while (n + 4 < cap && rng() % 8) {
        w[n++] = AT_DATA + 8 * (rng() % 256);
        for (unsigned b = rng() % 4; b > 0; b--)
            w[n++] = rng() | 1;
    }
    return n;
}

static void check_relr(const uint64_t *words, size_t n)
{
    const size_t nhits = (IMG_SIZE - AT_DATA) / 8;
    unsigned hits[(IMG_SIZE - AT_DATA) / 8] = { 0 };
    struct elf_reloc_report r;
    struct spec s;
    uint64_t total = 0;

    spec_init(&s);
    memcpy(s.relr, words, n * 8);
    s.nrelr = n;
    spec_finish(&s);
    relr_reference(words, n, hits, nhits);
    uint8_t *m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_OK);
    for (size_t w = 0; w < nhits; w++) {
        if (word_at(m, AT_DATA + 8 * w) != FILL + hits[w] * KBASE)
            fail_msg("data word %zu: got 0x%lx, %u hits", w,
                     (unsigned long)word_at(m, AT_DATA + 8 * w), hits[w]);
        total += hits[w];
    }
    assert_int_equal(r.relr, total);
    free(m);
}

static void test_relr_fixed(void **state)
{
    (void)state;
    const uint64_t one[] = { AT_DATA };
    const uint64_t all_bits[] = { AT_DATA, UINT64_MAX };                  /* 1 + 63 words */
    const uint64_t two_bitmaps[] = { AT_DATA, 0x3, (1ULL << 63) | 1 };   /* +1 word, then word 63+62 */
    const uint64_t restart[] = { AT_DATA + 0x800, 0x5, AT_DATA, 0x9 };
    check_relr(one, 1);
    check_relr(all_bits, 2);
    check_relr(two_bitmaps, 3);
    check_relr(restart, 4);
}

static void test_relr_random(void **state)
{
    uint64_t words[MAX_RELR];
    (void)state;
    for (int round = 0; round < 2000; round++)
        check_relr(words, random_relr(words, MAX_RELR));
}

/* ---- malformed tables ---------------------------------------------------------- */

struct bad_case {
    const char *name;
    void (*mutate)(struct spec *s);
    enum elf_error want;
};

#define MUTATION(name, ...) \
    static void name(struct spec *s) { __VA_ARGS__; }

MUTATION(m_no_null, dyn_remove(s, DT_NULL); while (s->ndyn < MAX_ENT) dyn_add(s, DT_DEBUG, 0);
         s->dyn_size = MAX_ENT * sizeof(Elf64_Dyn))
MUTATION(m_null_past_size, s->dyn_size = 4 * sizeof(Elf64_Dyn))
MUTATION(m_dyn_size_partial_entry, s->dyn_size = (s->ndyn - 1) * sizeof(Elf64_Dyn) + 8)
MUTATION(m_dup_rela, dyn_remove(s, DT_NULL); dyn_add(s, DT_RELA, AT_RELA); dyn_add(s, DT_NULL, 0))
MUTATION(m_dup_symtab, dyn_remove(s, DT_NULL); dyn_add(s, DT_SYMTAB, AT_SYM); dyn_add(s, DT_NULL, 0))
MUTATION(m_rela_no_size, dyn_remove(s, DT_RELASZ))
MUTATION(m_relasz_no_rela, dyn_remove(s, DT_RELA))
MUTATION(m_rela_no_ent, dyn_remove(s, DT_RELAENT))
MUTATION(m_jmprel_no_size, dyn_remove(s, DT_PLTRELSZ))
MUTATION(m_jmprel_no_kind, dyn_remove(s, DT_PLTREL))
MUTATION(m_relr_no_size, dyn_remove(s, DT_RELRSZ))
MUTATION(m_relr_no_ent, dyn_remove(s, DT_RELRENT))
MUTATION(m_symtab_no_ent, dyn_remove(s, DT_SYMENT))
MUTATION(m_strtab_no_size, dyn_remove(s, DT_STRSZ))
MUTATION(m_needed, dyn_set(s, DT_HASH, 0); s->dyn[0].d_tag = DT_NEEDED)
MUTATION(m_rel, s->dyn[0].d_tag = DT_REL)
MUTATION(m_relsz, s->dyn[0].d_tag = DT_RELSZ)
MUTATION(m_pltrel_rel, dyn_set(s, DT_PLTREL, DT_REL))
MUTATION(m_relaent_16, dyn_set(s, DT_RELAENT, 16))
MUTATION(m_relrent_4, dyn_set(s, DT_RELRENT, 4))
MUTATION(m_syment_16, dyn_set(s, DT_SYMENT, 16))
#define SIZES(...) spec_finish(s); __VA_ARGS__; s->sizes_set = true
MUTATION(m_relasz_partial, SIZES(dyn_set(s, DT_RELASZ, 25)))
MUTATION(m_relrsz_partial, SIZES(dyn_set(s, DT_RELRSZ, 12)))
MUTATION(m_rela_past_end, dyn_set(s, DT_RELA, IMG_SIZE - 16))
MUTATION(m_rela_below, dyn_set(s, DT_RELA, (uint64_t)-24))
MUTATION(m_relasz_huge, SIZES(dyn_set(s, DT_RELASZ, UINT64_MAX - 23 - (UINT64_MAX - 23) % 24)))
MUTATION(m_jmprel_past_end, dyn_set(s, DT_JMPREL, IMG_SIZE - 16);
         s->jmp[s->njmp++] = (Elf64_Rela){ 0x2000, ELF64_R_INFO(SYM_FN, R_X86_64_JUMP_SLOT), 0 })
MUTATION(m_relr_past_end, SIZES(dyn_set(s, DT_RELR, IMG_SIZE - 8); dyn_set(s, DT_RELRSZ, 16)))
MUTATION(m_symtab_past_end, dyn_set(s, DT_SYMTAB, IMG_SIZE + 1))
MUTATION(m_strtab_past_end, dyn_set(s, DT_STRSZ, IMG_SIZE))
MUTATION(m_type_pc32, rela(s, 0x2000, R_X86_64_PC32, SYM_FN, 0))
MUTATION(m_type_copy, rela(s, 0x2000, R_X86_64_COPY, SYM_FN, 0))
MUTATION(m_type_irelative, rela(s, 0x2000, R_X86_64_IRELATIVE, 0, 0x1000))
MUTATION(m_type_32, rela(s, 0x2000, R_X86_64_32, SYM_FN, 0))
MUTATION(m_target_last_byte_out, rela(s, IMG_SIZE - 7, R_X86_64_RELATIVE, 0, 0))
MUTATION(m_target_at_end, rela(s, IMG_SIZE, R_X86_64_RELATIVE, 0, 0))
MUTATION(m_target_below, rela(s, (uint64_t)-8, R_X86_64_RELATIVE, 0, 0))
MUTATION(m_target_wraps, rela(s, UINT64_MAX - 3, R_X86_64_64, SYM_FN, 0))
MUTATION(m_jmp_target_out, s->jmp[s->njmp++] = (Elf64_Rela){ IMG_SIZE, ELF64_R_INFO(SYM_FN, R_X86_64_JUMP_SLOT), 0 })
MUTATION(m_sym_past_table, rela(s, 0x2000, R_X86_64_64, (IMG_SIZE - AT_SYM) / sizeof(Elf64_Sym), 0))
MUTATION(m_sym_no_symtab, dyn_remove(s, DT_SYMTAB); dyn_remove(s, DT_SYMENT);
         rela(s, 0x2000, R_X86_64_GLOB_DAT, SYM_FN, 0))
MUTATION(m_undefined, rela(s, 0x2000, R_X86_64_GLOB_DAT, SYM_MISSING, 0))
MUTATION(m_undefined_plt, s->jmp[s->njmp++] = (Elf64_Rela){ 0x2000, ELF64_R_INFO(SYM_MISSING, R_X86_64_JUMP_SLOT), 0 })
MUTATION(m_relr_bitmap_first, s->relr[0] = 0x3)
MUTATION(m_relr_addr_out, s->relr[s->nrelr++] = IMG_SIZE)
MUTATION(m_relr_addr_below, s->relr[s->nrelr++] = (uint64_t)-8)
MUTATION(m_relr_bit_out, s->relr[s->nrelr++] = IMG_SIZE - 16; s->relr[s->nrelr++] = 0x5)
MUTATION(m_dyn_outside, s->dyn_at = KBASE + IMG_SIZE - 8)
MUTATION(m_dyn_below, s->dyn_at = KBASE - 16)
MUTATION(m_dyn_size_huge, s->dyn_size = UINT64_MAX)

#define BAD(m, err) { #m, m, err }

static const struct bad_case bad_cases[] = {
    BAD(m_no_null, ELF_ERR_DYN_MALFORMED),
    BAD(m_null_past_size, ELF_ERR_DYN_MALFORMED),
    BAD(m_dyn_size_partial_entry, ELF_ERR_DYN_MALFORMED),
    BAD(m_dup_rela, ELF_ERR_DYN_MALFORMED),
    BAD(m_dup_symtab, ELF_ERR_DYN_MALFORMED),
    BAD(m_rela_no_size, ELF_ERR_DYN_MALFORMED),
    BAD(m_relasz_no_rela, ELF_ERR_DYN_MALFORMED),
    BAD(m_rela_no_ent, ELF_ERR_DYN_MALFORMED),
    BAD(m_jmprel_no_size, ELF_ERR_DYN_MALFORMED),
    BAD(m_jmprel_no_kind, ELF_ERR_DYN_MALFORMED),
    BAD(m_relr_no_size, ELF_ERR_DYN_MALFORMED),
    BAD(m_relr_no_ent, ELF_ERR_DYN_MALFORMED),
    BAD(m_symtab_no_ent, ELF_ERR_DYN_MALFORMED),
    BAD(m_strtab_no_size, ELF_ERR_DYN_MALFORMED),
    BAD(m_needed, ELF_ERR_DYN_NEEDED),
    BAD(m_rel, ELF_ERR_RELOC_KIND),
    BAD(m_relsz, ELF_ERR_RELOC_KIND),
    BAD(m_pltrel_rel, ELF_ERR_RELOC_KIND),
    BAD(m_relaent_16, ELF_ERR_RELOC_ENTSIZE),
    BAD(m_relrent_4, ELF_ERR_RELOC_ENTSIZE),
    BAD(m_syment_16, ELF_ERR_RELOC_ENTSIZE),
    BAD(m_relasz_partial, ELF_ERR_RELOC_TABLE),
    BAD(m_relrsz_partial, ELF_ERR_RELOC_TABLE),
    BAD(m_rela_past_end, ELF_ERR_RELOC_TABLE),
    BAD(m_rela_below, ELF_ERR_RELOC_TABLE),
    BAD(m_relasz_huge, ELF_ERR_RELOC_TABLE),
    BAD(m_jmprel_past_end, ELF_ERR_RELOC_TABLE),
    BAD(m_relr_past_end, ELF_ERR_RELOC_TABLE),
    BAD(m_symtab_past_end, ELF_ERR_RELOC_TABLE),
    BAD(m_strtab_past_end, ELF_ERR_RELOC_TABLE),
    BAD(m_type_pc32, ELF_ERR_RELOC_TYPE),
    BAD(m_type_copy, ELF_ERR_RELOC_TYPE),
    BAD(m_type_irelative, ELF_ERR_RELOC_TYPE),
    BAD(m_type_32, ELF_ERR_RELOC_TYPE),
    BAD(m_target_last_byte_out, ELF_ERR_RELOC_TARGET),
    BAD(m_target_at_end, ELF_ERR_RELOC_TARGET),
    BAD(m_target_below, ELF_ERR_RELOC_TARGET),
    BAD(m_target_wraps, ELF_ERR_RELOC_TARGET),
    BAD(m_jmp_target_out, ELF_ERR_RELOC_TARGET),
    BAD(m_sym_past_table, ELF_ERR_RELOC_SYMBOL),
    BAD(m_sym_no_symtab, ELF_ERR_RELOC_SYMBOL),
    BAD(m_undefined, ELF_ERR_RELOC_UNDEFINED),
    BAD(m_undefined_plt, ELF_ERR_RELOC_UNDEFINED),
    BAD(m_relr_bitmap_first, ELF_ERR_RELR),
    BAD(m_relr_addr_out, ELF_ERR_RELOC_TARGET),
    BAD(m_relr_addr_below, ELF_ERR_RELOC_TARGET),
    BAD(m_relr_bit_out, ELF_ERR_RELOC_TARGET),
    BAD(m_dyn_outside, ELF_ERR_DYNAMIC),
    BAD(m_dyn_below, ELF_ERR_DYNAMIC),
    BAD(m_dyn_size_huge, ELF_ERR_DYNAMIC),
};

/* Each bad table is refused with its own code, and, since the refusal
 * comes from the first pass, after valid relocations placed before the
 * bad one, the image is byte for byte as it was. */
static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        struct elf_reloc_report r;
        struct spec s;
        spec_init(&s);
        rela(&s, 0x3000, R_X86_64_RELATIVE, 0, 0x10);
        s.relr[s.nrelr++] = 0x3008;
        bad_cases[i].mutate(&s);
        spec_finish(&s);
        uint8_t *m = image_of(&s);
        uint8_t *before = image_of(&s);
        enum elf_error got = run(&s, m, &r);
        if (got != bad_cases[i].want)
            fail_msg("%s: want %s, got %s", bad_cases[i].name, elf_strerror(bad_cases[i].want),
                     elf_strerror(got));
        if (memcmp(m, before, IMG_SIZE) != 0)
            fail_msg("%s: image changed by a refused table", bad_cases[i].name);
        free(m);
        free(before);
    }
}

static void test_malformed_cover_every_error(void **state)
{
    bool seen[ELF_ERR_COUNT] = { false };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
        seen[bad_cases[i].want] = true;
    for (int e = ELF_ERR_RELOC_FIRST; e < ELF_ERR_COUNT; e++)
        if (!seen[e])
            fail_msg("no test case for %d (%s)", e, elf_strerror((enum elf_error)e));
}

/* ---- details of the report ------------------------------------------------------- */

static void test_report(void **state)
{
    struct elf_reloc_report r;
    struct spec s;
    (void)state;

    spec_init(&s);
    m_undefined(&s);
    spec_finish(&s);
    uint8_t *m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_ERR_RELOC_UNDEFINED);
    assert_string_equal(r.symbol, "missing_function");
    free(m);

    spec_init(&s);                               /* cut at the report's size */
    rela(&s, 0x2000, R_X86_64_64, SYM_LONG_NAME, 0);
    spec_finish(&s);
    m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_ERR_RELOC_UNDEFINED);
    assert_int_equal(strlen(r.symbol), ELF_RELOC_NAME_MAX - 1);
    assert_memory_equal(r.symbol, strtab + STR_LONG, ELF_RELOC_NAME_MAX - 1);
    free(m);

    spec_init(&s);                               /* cut at the string table's end */
    dyn_set(&s, DT_STRSZ, STR_MISSING + 4);
    m_undefined(&s);
    spec_finish(&s);
    m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_ERR_RELOC_UNDEFINED);
    assert_string_equal(r.symbol, "miss");
    free(m);

    spec_init(&s);
    m_type_irelative(&s);
    spec_finish(&s);
    m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_ERR_RELOC_TYPE);
    assert_int_equal(r.bad_type, R_X86_64_IRELATIVE);
    free(m);

    spec_init(&s);                               /* counts */
    rela(&s, 0x2000, R_X86_64_RELATIVE, 0, 0);
    rela(&s, 0x2008, R_X86_64_64, SYM_FN, 0);
    s.jmp[s.njmp++] = (Elf64_Rela){ 0x2010, ELF64_R_INFO(SYM_FN, R_X86_64_JUMP_SLOT), 0 };
    s.relr[s.nrelr++] = 0x2018;
    s.relr[s.nrelr++] = 0xf;                     /* 3 more words */
    spec_finish(&s);
    m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_OK);
    assert_int_equal(r.rela, 3);
    assert_int_equal(r.relr, 4);
    free(m);

    struct elf_reloc_view v = view_of(NULL);     /* no PT_DYNAMIC: nothing to read */
    assert_int_equal(elf_relocate(&v, 0, 0, &r), ELF_OK);
}

/* A relocation that rewrites a later entry of its own table: the first
 * pass saw the entry harmless, the second sees it as it now is and
 * refuses it instead of writing outside the image. */
static void test_table_rewritten_by_itself(void **state)
{
    struct elf_reloc_report r;
    struct spec s;
    (void)state;

    spec_init(&s);
    /* entry 0 writes KBASE + 0x7fffffff into entry 1's r_offset */
    rela(&s, AT_RELA + sizeof(Elf64_Rela), R_X86_64_RELATIVE, 0, 0x7fffffff);
    rela(&s, 0x2000, R_X86_64_RELATIVE, 0, 0);
    spec_finish(&s);
    uint8_t *m = image_of(&s);
    assert_int_equal(run(&s, m, &r), ELF_ERR_RELOC_TARGET);
    free(m);
}

/* elf_reloc_view_of matches a validated image's span and slide. */
static void test_view_of(void **state)
{
    struct elf_image img = { .type = ET_DYN, .slide = KBASE, .lo = KBASE, .hi = KBASE + 0x6000 };
    uint8_t buf[8];
    (void)state;

    struct elf_reloc_view v = elf_reloc_view_of(&img, buf);
    assert_ptr_equal(v.base, buf);
    assert_int_equal(v.lo, KBASE);
    assert_int_equal(v.size, 0x6000);
    assert_int_equal(v.slide, KBASE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_type),
        cmocka_unit_test(test_slide_zero),
        cmocka_unit_test(test_relr_fixed),
        cmocka_unit_test(test_relr_random),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_cover_every_error),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_table_rewritten_by_itself),
        cmocka_unit_test(test_view_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
