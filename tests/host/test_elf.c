/* Host tests for shared/elf.c.
 *
 * Kernel images are built in memory from a struct (header + program
 * headers + layout), mutated one field at a time, serialised into an
 * exact-size malloc (so ASan flags any read past the end) and validated.
 * The baseline looks like a linked Pagoda kernel:
 *
 *   file:   0x0000 ehdr+phdrs | 0x1000 text | 0x3000 rodata | 0x4000 data | 0x4100 EOF
 *   memory: KBASE+0x0000 text R-X  [0x1800)
 *           KBASE+0x2000 rodata R--  [0x0800)
 *           KBASE+0x3000 data RW- [0x0100 file, 0x3000 mem: .bss follows]
 *   plus a PT_GNU_STACK, which the validator must ignore.
 * kimg_pie is the same kernel as a position-independent ET_DYN linked at 0,
 * which the validator slides by ELF_PIE_BASE (== KBASE) onto the baseline.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elfcheck.h"

#define KBASE     0xffffffff80000000ULL
#define MAX_PH    (ELF_MAX_PHDRS + 2)   /* room for "too many" images */
#define FILL_BYTE 0xcc                  /* segment contents: int3 */

enum { TEXT, RODATA, DATA, STACK, NPH_BASE };

struct kimg {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PH];
    uint64_t table_at;   /* where the table is written; e_phoff may lie */
    size_t size;         /* file size */
};

static Elf64_Phdr load(uint64_t off, uint64_t va, uint64_t filesz, uint64_t memsz,
                       uint32_t flags)
{
    return (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = flags, .p_offset = off,
                         .p_vaddr = va, .p_paddr = va - KBASE, .p_filesz = filesz,
                         .p_memsz = memsz, .p_align = PAGE_SIZE };
}

static void kimg_header(struct kimg *k, uint16_t phnum, vaddr_t entry)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->eh.e_ident, ELFMAG, SELFMAG);
    k->eh.e_ident[EI_CLASS] = ELFCLASS64;
    k->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    k->eh.e_ident[EI_VERSION] = EV_CURRENT;
    k->eh.e_type = ET_EXEC;
    k->eh.e_machine = EM_X86_64;
    k->eh.e_version = EV_CURRENT;
    k->eh.e_entry = entry;
    k->eh.e_phoff = sizeof(Elf64_Ehdr);
    k->eh.e_ehsize = sizeof(Elf64_Ehdr);
    k->eh.e_phentsize = sizeof(Elf64_Phdr);
    k->eh.e_phnum = phnum;
    k->table_at = k->eh.e_phoff;
}

static void kimg_good(struct kimg *k)
{
    kimg_header(k, NPH_BASE, KBASE + 0x10);
    k->ph[TEXT] = load(0x1000, KBASE + 0x0000, 0x1800, 0x1800, PF_R | PF_X);
    k->ph[RODATA] = load(0x3000, KBASE + 0x2000, 0x0800, 0x0800, PF_R);
    k->ph[DATA] = load(0x4000, KBASE + 0x3000, 0x0100, 0x3000, PF_R | PF_W);
    k->ph[STACK] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
    k->size = 0x4100;
}

/* n one-page PT_LOADs; the first is the text. */
static void kimg_many(struct kimg *k, uint16_t n)
{
    kimg_header(k, n, KBASE);
    for (uint16_t i = 0; i < n; i++)
        k->ph[i] = load(PAGE_SIZE * (i + 1), KBASE + PAGE_SIZE * i, 0x100, PAGE_SIZE,
                        i == 0 ? PF_R | PF_X : PF_R);
    k->size = PAGE_SIZE * (n + 1);
}

/* The baseline linked at 0 as an ET_DYN, with a PT_DYNAMIC in its data. */
static void kimg_pie(struct kimg *k)
{
    kimg_good(k);
    k->eh.e_type = ET_DYN;
    k->eh.e_entry -= KBASE;
    for (int i = TEXT; i <= DATA; i++)
        k->ph[i].p_vaddr -= KBASE;
    k->ph[STACK] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R | PF_W, .p_offset = 0x4000,
                                 .p_vaddr = 0x3000, .p_filesz = 0x100, .p_memsz = 0x100, .p_align = 8 };
}

/* Program header n (>= NPH_BASE) added to the baseline. */
static void kimg_extra(struct kimg *k, Elf64_Phdr ph)
{
    k->ph[k->eh.e_phnum++] = ph;
}

static Elf64_Phdr dynamic_at(uint64_t va, uint64_t memsz)
{
    return (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R | PF_W, .p_offset = 0x4000,
                         .p_vaddr = va, .p_filesz = 0, .p_memsz = memsz, .p_align = 8 };
}

/* One text segment of the given placement; nothing else. */
static void kimg_single(struct kimg *k, vaddr_t va, uint64_t memsz)
{
    kimg_header(k, 1, va);
    k->ph[0] = load(0x1000, va, 0x100, memsz, PF_R | PF_X);
    k->size = 0x1100;
}

/* Copy `len` bytes to buf[at...], clipped to the file. */
static void put_clipped(uint8_t *buf, size_t size, uint64_t at, const void *src, size_t len)
{
    if (at >= size)
        return;
    memcpy(buf + at, src, MIN(len, size - at));
}

/* Serialise into a buffer that ends exactly where the file does (so ASan
 * reports a read of file[size]) and starts `misalign` bytes into its
 * allocation. Free *alloc afterwards. */
static uint8_t *kimg_bytes(const struct kimg *k, size_t misalign, uint8_t **alloc)
{
    size_t stride = MAX(k->eh.e_phentsize, sizeof(Elf64_Phdr));
    uint8_t *file;

    *alloc = malloc(misalign + k->size);
    assert_non_null(*alloc);
    file = *alloc + misalign;
    memset(file, FILL_BYTE, k->size);
    put_clipped(file, k->size, 0, &k->eh, sizeof(k->eh));
    for (size_t i = 0; i < MIN(k->eh.e_phnum, MAX_PH); i++)
        put_clipped(file, k->size, k->table_at + i * stride, &k->ph[i], sizeof(k->ph[i]));
    return file;
}

static enum elf_error validate_misaligned(const struct kimg *k, size_t misalign,
                                          struct elf_image *out)
{
    uint8_t *alloc;
    uint8_t *file = kimg_bytes(k, misalign, &alloc);
    enum elf_error err = elf_validate(k->size ? file : NULL, k->size, out);
    free(alloc);
    return err;
}

static enum elf_error validate(const struct kimg *k, struct elf_image *out)
{
    return validate_misaligned(k, 0, out);
}

/* ---- malformed images: one mutation, one expected error ---------------- */

#define MUTATION(name, ...) \
    static void name(struct kimg *k) { kimg_good(k); __VA_ARGS__; }

MUTATION(m_empty, k->size = 0)
MUTATION(m_one_byte, k->size = 1)
MUTATION(m_short_header, k->size = sizeof(Elf64_Ehdr) - 1)
MUTATION(m_magic0, k->eh.e_ident[EI_MAG0] = 0)
MUTATION(m_magic3, k->eh.e_ident[EI_MAG3] = 'f')
MUTATION(m_class32, k->eh.e_ident[EI_CLASS] = ELFCLASS32)
MUTATION(m_classnone, k->eh.e_ident[EI_CLASS] = ELFCLASSNONE)
MUTATION(m_bigendian, k->eh.e_ident[EI_DATA] = ELFDATA2MSB)
MUTATION(m_ident_version, k->eh.e_ident[EI_VERSION] = EV_NONE)
MUTATION(m_e_version, k->eh.e_version = EV_CURRENT + 1)
MUTATION(m_i386, k->eh.e_machine = EM_386)
MUTATION(m_aarch64, k->eh.e_machine = EM_AARCH64)
MUTATION(m_rel, k->eh.e_type = ET_REL)
MUTATION(m_core, k->eh.e_type = ET_CORE)
MUTATION(m_none, k->eh.e_type = ET_NONE)
MUTATION(m_phentsize_0, k->eh.e_phentsize = 0)
MUTATION(m_phentsize_8, k->eh.e_phentsize = 8)
MUTATION(m_phentsize_short, k->eh.e_phentsize = sizeof(Elf64_Phdr) - 1)
MUTATION(m_phnum_0, k->eh.e_phnum = 0)
MUTATION(m_phnum_xnum, k->eh.e_phnum = PN_XNUM)
MUTATION(m_phnum_max, k->eh.e_phnum = ELF_MAX_PHDRS + 1)
MUTATION(m_phoff_eof, k->eh.e_phoff = k->size)
MUTATION(m_phoff_last_byte_out, k->eh.e_phoff = k->size - NPH_BASE * sizeof(Elf64_Phdr) + 1)
MUTATION(m_phoff_wrap, k->eh.e_phoff = UINT64_MAX - 8)
MUTATION(m_cut_in_table, k->size = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
MUTATION(m_no_load, for (int i = 0; i < NPH_BASE; i++) k->ph[i].p_type = PT_NULL)
MUTATION(m_only_empty_loads,
         for (int i = TEXT; i <= DATA; i++) k->ph[i].p_filesz = k->ph[i].p_memsz = 0)
MUTATION(m_too_many_loads, kimg_many(k, ELF_MAX_SEGMENTS + 1))
MUTATION(m_data_filesz_gt_memsz, k->ph[DATA].p_filesz = k->ph[DATA].p_memsz + 1)
MUTATION(m_text_filesz_gt_memsz, k->ph[TEXT].p_filesz = k->ph[TEXT].p_memsz + 1)
MUTATION(m_data_past_eof, k->ph[DATA].p_filesz = k->size - k->ph[DATA].p_offset + 1)
MUTATION(m_cut_in_data, k->size = 0x4080)
MUTATION(m_offset_wrap,
         k->ph[DATA].p_offset = 0xfffffffffffff000ULL; k->ph[DATA].p_filesz = 0x1000)
MUTATION(m_filesz_wrap, k->ph[DATA].p_filesz = k->ph[DATA].p_memsz = UINT64_MAX)
MUTATION(m_align_3, k->ph[TEXT].p_align = 3)
MUTATION(m_align_page_plus_1, k->ph[RODATA].p_align = PAGE_SIZE + 1)
MUTATION(m_align_all_ones, k->ph[DATA].p_align = UINT64_MAX)
MUTATION(m_vaddr_wrap, k->ph[TEXT].p_vaddr = 0xfffffffffffff000ULL)
MUTATION(m_vaddr_end_is_2_64,
         k->ph[TEXT].p_vaddr = 0xffffffffffffe000ULL; k->ph[TEXT].p_memsz = 0x2000)
MUTATION(m_vaddr_in_top_page, k->ph[TEXT].p_vaddr = 0xffffffffffffe000ULL)
MUTATION(m_noncanonical_low_edge, k->ph[TEXT].p_vaddr = 0x0000800000000000ULL)
MUTATION(m_noncanonical_high_edge, k->ph[TEXT].p_vaddr = 0xffff7ffffffff000ULL)
MUTATION(m_noncanonical_bit63, k->ph[DATA].p_vaddr = 0x8000000000003000ULL)
MUTATION(m_lower_half, k->ph[TEXT].p_vaddr = 0x400000)
MUTATION(m_lower_half_zero, k->ph[RODATA].p_vaddr = 0)
MUTATION(m_lower_half_into_hole, k->ph[TEXT].p_vaddr = 0x00007ffffffff000ULL)
MUTATION(m_vaddr_off_by_8, k->ph[TEXT].p_vaddr += 8)
MUTATION(m_offset_off_by_1, k->ph[DATA].p_offset -= 1)
MUTATION(m_memsz_over_limit, k->ph[DATA].p_memsz = ELF_MAX_IMAGE_BYTES + 1)
MUTATION(m_memsz_huge, k->ph[DATA].p_memsz = UINT64_MAX)
MUTATION(m_span_over_limit, k->ph[DATA].p_vaddr = KBASE + ELF_MAX_IMAGE_BYTES)
MUTATION(m_span_below_text, k->ph[RODATA].p_vaddr = KBASE - 2 * GiB + 0x2000)
MUTATION(m_overlap_same_vaddr, k->ph[RODATA].p_vaddr = KBASE)
MUTATION(m_overlap_inside, k->ph[RODATA].p_vaddr = KBASE + 0x1000)
MUTATION(m_overlap_data_first, k->ph[DATA].p_vaddr = KBASE + 0x1000)
MUTATION(m_overlap_bss_into_next, k->ph[RODATA].p_vaddr = KBASE + 0x5000)
/*   text   [KBASE, +0x1800)  ends mid-page
 *   rodata [KBASE+0x1800, ...) starts on the same page
 *        |  page 0  |  page 1  |  page 2  |
 *        [ text ===============)
 *                        [ rodata ====)      page 1 would need R-X and R--  */
MUTATION(m_share_page, k->ph[RODATA].p_vaddr = KBASE + 0x1800; k->ph[RODATA].p_offset = 0x3800)
MUTATION(m_text_wx, k->ph[TEXT].p_flags = PF_R | PF_W | PF_X)
MUTATION(m_data_wx, k->ph[DATA].p_flags = PF_R | PF_W | PF_X)
MUTATION(m_wx_no_r, k->ph[RODATA].p_flags = PF_W | PF_X)
MUTATION(m_entry_data, k->eh.e_entry = KBASE + 0x3000)
MUTATION(m_entry_rodata, k->eh.e_entry = KBASE + 0x2000)
MUTATION(m_entry_zero, k->eh.e_entry = 0)
MUTATION(m_entry_text_end, k->eh.e_entry = KBASE + 0x1800)
MUTATION(m_entry_below_text, k->eh.e_entry = KBASE - 1)
MUTATION(m_entry_text_bss,
         k->ph[TEXT].p_filesz = 0x1000; k->eh.e_entry = KBASE + 0x1000)
/* ELF kinds and other program headers. */
MUTATION(m_interp, k->ph[STACK] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x4000,
         .p_filesz = 0x1c, .p_memsz = 0x1c })
MUTATION(m_two_dynamic, k->ph[STACK] = dynamic_at(KBASE + 0x3000, 0x100);
         kimg_extra(k, dynamic_at(KBASE + 0x3100, 0x100)))
MUTATION(m_dynamic_empty, k->ph[STACK] = dynamic_at(KBASE + 0x3000, 0))
MUTATION(m_dynamic_past_image, k->ph[STACK] = dynamic_at(KBASE + 0x6000, 0x100))
MUTATION(m_dynamic_straddles_end, k->ph[STACK] = dynamic_at(KBASE + 0x5ff0, 0x20))
MUTATION(m_dynamic_below_image, k->ph[STACK] = dynamic_at(KBASE - 0x100, 0x100))
/* Between text's end (KBASE + 0x1800) and rodata (KBASE + 0x2000): padding. */
MUTATION(m_dynamic_in_gap, k->ph[STACK] = dynamic_at(KBASE + 0x1900, 0x100))
MUTATION(m_dynamic_across_segments, k->ph[STACK] = dynamic_at(KBASE + 0x1700, 0x1000))
MUTATION(m_dynamic_size_wraps, k->ph[STACK] = dynamic_at(KBASE + 0x3000, UINT64_MAX))
/* A PIE's PT_DYNAMIC is slid too: link address 0x6000 is past its image. */
MUTATION(m_pie_dynamic_unslid, kimg_pie(k); k->ph[STACK].p_vaddr = KBASE + 0x3000)
/* Linked at 2 GiB: slid by ELF_PIE_BASE it ends at 2^64 exactly. */
MUTATION(m_pie_linked_at_2g, kimg_pie(k); k->ph[DATA].p_vaddr = 0x80000000ULL)
/* The lowest segment decides the slide; a higher-half one then wraps. */
MUTATION(m_pie_mixed_halves, kimg_pie(k); k->ph[DATA].p_vaddr = KBASE + 0x3000)
MUTATION(m_pie_entry_unslid, kimg_pie(k); k->eh.e_entry = KBASE + 0x10)
MUTATION(m_pie_wx, kimg_pie(k); k->ph[TEXT].p_flags |= PF_W)
MUTATION(m_empty_load_with_bytes, k->ph[STACK] = load(0x1000, 0, 0x10, 0, PF_R))

struct bad_case {
    const char *name;
    void (*mutate)(struct kimg *k);
    enum elf_error want;
};

#define BAD(m, err) { #m, m, err }

static const struct bad_case bad_cases[] = {
    BAD(m_empty, ELF_ERR_EMPTY),
    BAD(m_one_byte, ELF_ERR_TRUNCATED),
    BAD(m_short_header, ELF_ERR_TRUNCATED),
    BAD(m_magic0, ELF_ERR_MAGIC),
    BAD(m_magic3, ELF_ERR_MAGIC),
    BAD(m_class32, ELF_ERR_CLASS),
    BAD(m_classnone, ELF_ERR_CLASS),
    BAD(m_bigendian, ELF_ERR_ENDIAN),
    BAD(m_ident_version, ELF_ERR_VERSION),
    BAD(m_e_version, ELF_ERR_VERSION),
    BAD(m_i386, ELF_ERR_MACHINE),
    BAD(m_aarch64, ELF_ERR_MACHINE),
    BAD(m_rel, ELF_ERR_TYPE),
    BAD(m_core, ELF_ERR_TYPE),
    BAD(m_none, ELF_ERR_TYPE),
    BAD(m_phentsize_0, ELF_ERR_PHENTSIZE),
    BAD(m_phentsize_8, ELF_ERR_PHENTSIZE),
    BAD(m_phentsize_short, ELF_ERR_PHENTSIZE),
    BAD(m_phnum_0, ELF_ERR_PHNUM),
    BAD(m_phnum_xnum, ELF_ERR_PHNUM),
    BAD(m_phnum_max, ELF_ERR_PHNUM),
    BAD(m_phoff_eof, ELF_ERR_PHDRS_OUTSIDE),
    BAD(m_phoff_last_byte_out, ELF_ERR_PHDRS_OUTSIDE),
    BAD(m_phoff_wrap, ELF_ERR_PHDRS_OUTSIDE),
    BAD(m_cut_in_table, ELF_ERR_PHDRS_OUTSIDE),
    BAD(m_no_load, ELF_ERR_NO_LOAD),
    BAD(m_only_empty_loads, ELF_ERR_NO_LOAD),
    BAD(m_too_many_loads, ELF_ERR_TOO_MANY_LOADS),
    BAD(m_data_filesz_gt_memsz, ELF_ERR_FILESZ_GT_MEMSZ),
    BAD(m_text_filesz_gt_memsz, ELF_ERR_FILESZ_GT_MEMSZ),
    BAD(m_data_past_eof, ELF_ERR_SEG_OUTSIDE),
    BAD(m_cut_in_data, ELF_ERR_SEG_OUTSIDE),
    BAD(m_offset_wrap, ELF_ERR_SEG_OUTSIDE),
    BAD(m_filesz_wrap, ELF_ERR_SEG_OUTSIDE),
    BAD(m_align_3, ELF_ERR_ALIGN),
    BAD(m_align_page_plus_1, ELF_ERR_ALIGN),
    BAD(m_align_all_ones, ELF_ERR_ALIGN),
    BAD(m_vaddr_wrap, ELF_ERR_VADDR_WRAP),
    BAD(m_vaddr_end_is_2_64, ELF_ERR_VADDR_WRAP),
    BAD(m_vaddr_in_top_page, ELF_ERR_VADDR_WRAP),
    BAD(m_noncanonical_low_edge, ELF_ERR_NONCANONICAL),
    BAD(m_noncanonical_high_edge, ELF_ERR_NONCANONICAL),
    BAD(m_noncanonical_bit63, ELF_ERR_NONCANONICAL),
    BAD(m_lower_half, ELF_ERR_LOWER_HALF),
    BAD(m_lower_half_zero, ELF_ERR_LOWER_HALF),
    BAD(m_lower_half_into_hole, ELF_ERR_LOWER_HALF),
    BAD(m_vaddr_off_by_8, ELF_ERR_OFFSET_MISMATCH),
    BAD(m_offset_off_by_1, ELF_ERR_OFFSET_MISMATCH),
    BAD(m_memsz_over_limit, ELF_ERR_SEG_TOO_BIG),
    BAD(m_memsz_huge, ELF_ERR_SEG_TOO_BIG),
    BAD(m_span_over_limit, ELF_ERR_SEG_TOO_BIG),
    BAD(m_span_below_text, ELF_ERR_SEG_TOO_BIG),
    BAD(m_overlap_same_vaddr, ELF_ERR_OVERLAP),
    BAD(m_overlap_inside, ELF_ERR_OVERLAP),
    BAD(m_overlap_data_first, ELF_ERR_OVERLAP),
    BAD(m_overlap_bss_into_next, ELF_ERR_OVERLAP),
    BAD(m_share_page, ELF_ERR_OVERLAP),
    BAD(m_text_wx, ELF_ERR_WX),
    BAD(m_data_wx, ELF_ERR_WX),
    BAD(m_wx_no_r, ELF_ERR_WX),
    BAD(m_entry_data, ELF_ERR_ENTRY),
    BAD(m_entry_rodata, ELF_ERR_ENTRY),
    BAD(m_entry_zero, ELF_ERR_ENTRY),
    BAD(m_entry_text_end, ELF_ERR_ENTRY),
    BAD(m_entry_below_text, ELF_ERR_ENTRY),
    BAD(m_entry_text_bss, ELF_ERR_ENTRY),
    BAD(m_empty_load_with_bytes, ELF_ERR_FILESZ_GT_MEMSZ),
    BAD(m_interp, ELF_ERR_INTERP),
    BAD(m_two_dynamic, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_empty, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_past_image, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_straddles_end, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_below_image, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_size_wraps, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_in_gap, ELF_ERR_DYNAMIC),
    BAD(m_dynamic_across_segments, ELF_ERR_DYNAMIC),
    BAD(m_pie_dynamic_unslid, ELF_ERR_DYNAMIC),
    BAD(m_pie_linked_at_2g, ELF_ERR_VADDR_WRAP),
    BAD(m_pie_mixed_halves, ELF_ERR_VADDR_WRAP),
    BAD(m_pie_entry_unslid, ELF_ERR_ENTRY),
    BAD(m_pie_wx, ELF_ERR_WX),
};

static void test_bad_images(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        struct kimg k;
        struct elf_image out, zero;
        memset(&out, 0xa5, sizeof(out));
        memset(&zero, 0, sizeof(zero));
        bad_cases[i].mutate(&k);
        enum elf_error got = validate(&k, &out);
        if (got != bad_cases[i].want)
            fail_msg("%s: want %s, got %s", bad_cases[i].name,
                     elf_strerror(bad_cases[i].want), elf_strerror(got));
        assert_memory_equal(&out, &zero, sizeof(out));   /* zeroed on failure */
    }
}

/* Every error code elf_validate can return is produced by at least one
 * case above (the relocation codes: tests/host/test_elf_reloc.c). */
static void test_bad_images_cover_every_error(void **state)
{
    bool seen[ELF_ERR_COUNT] = { false };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
        seen[bad_cases[i].want] = true;
    for (int e = ELF_OK + 1; e < ELF_ERR_RELOC_FIRST; e++)
        if (!seen[e])
            fail_msg("no test case for %d (%s)", e, elf_strerror((enum elf_error)e));
}

/* ---- images that must pass ---------------------------------------------- */

static void assert_seg(const struct elf_segment *s, vaddr_t va, uint64_t filesz,
                       uint64_t memsz, uint64_t off, uint32_t flags)
{
    assert_int_equal(s->vaddr, va);
    assert_int_equal(s->filesz, filesz);
    assert_int_equal(s->memsz, memsz);
    assert_int_equal(s->offset, off);
    assert_int_equal(s->flags, flags);
}

static void assert_baseline_output(const struct elf_image *img)
{
    assert_int_equal(img->entry, KBASE + 0x10);
    assert_int_equal(img->lo, KBASE);
    assert_int_equal(img->hi, KBASE + 0x6000);
    assert_int_equal(img->nsegs, 3);
    assert_seg(&img->segs[0], KBASE + 0x0000, 0x1800, 0x1800, 0x1000, PF_R | PF_X);
    assert_seg(&img->segs[1], KBASE + 0x2000, 0x0800, 0x0800, 0x3000, PF_R);
    assert_seg(&img->segs[2], KBASE + 0x3000, 0x0100, 0x3000, 0x4000, PF_R | PF_W);
}

static void test_good_multi_segment(void **state)
{
    struct kimg k;
    struct elf_image img;
    (void)state;

    kimg_good(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_baseline_output(&img);
}

/* Headers are copied, not cast: any alignment of the buffer works. */
static void test_good_unaligned_buffer(void **state)
{
    struct kimg k;
    struct elf_image img;
    (void)state;

    kimg_good(&k);
    for (size_t misalign = 1; misalign < 8; misalign++) {
        assert_int_equal(validate_misaligned(&k, misalign, &img), ELF_OK);
        assert_baseline_output(&img);
    }
}

/* Table order is data, text, rodata; output is sorted by vaddr. */
static void test_good_unsorted_table(void **state)
{
    struct kimg k;
    struct elf_image img;
    Elf64_Phdr text, rodata;
    (void)state;

    kimg_good(&k);
    text = k.ph[TEXT];
    rodata = k.ph[RODATA];
    k.ph[0] = k.ph[DATA];
    k.ph[1] = text;
    k.ph[2] = rodata;
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_baseline_output(&img);
}

MUTATION(g_align_0, k->ph[TEXT].p_align = 0)
MUTATION(g_align_1, k->ph[RODATA].p_align = 1)
MUTATION(g_align_2m, k->ph[DATA].p_align = PAGE_SIZE_2M)
MUTATION(g_phentsize_padded, k->eh.e_phentsize = sizeof(Elf64_Phdr) + 8)
MUTATION(g_entry_first_byte, k->eh.e_entry = KBASE)
MUTATION(g_entry_last_file_byte, k->eh.e_entry = KBASE + 0x17ff)
MUTATION(g_bss_only_data, k->ph[DATA].p_filesz = 0)
MUTATION(g_text_fills_page, k->ph[TEXT].p_memsz = 0x2000; k->ph[TEXT].p_filesz = 0x2000)
/* A note with nonsense offsets is not a PT_LOAD and is not looked at. */
MUTATION(g_garbage_note, k->ph[STACK] = (Elf64_Phdr){ .p_type = PT_NOTE,
         .p_offset = UINT64_MAX, .p_filesz = UINT64_MAX, .p_vaddr = 0x1234 })
/* An empty PT_LOAD maps nothing: checked, then dropped from the output. */
MUTATION(g_empty_load, k->ph[STACK] = load(0, KBASE + 0x100000, 0, 0, PF_R))
MUTATION(g_table_at_end, k->eh.e_phoff = k->table_at = k->size;
         k->size += NPH_BASE * sizeof(Elf64_Phdr))
MUTATION(g_max_phdrs, k->eh.e_phnum = ELF_MAX_PHDRS)   /* the extra ones are PT_NULL */
MUTATION(g_max_segments, kimg_many(k, ELF_MAX_SEGMENTS))
MUTATION(g_max_single_segment, kimg_single(k, KBASE, ELF_MAX_IMAGE_BYTES))
MUTATION(g_lowest_higher_half, kimg_single(k, 0xffff800000000000ULL, 0x1000))
MUTATION(g_highest_usable_page, kimg_single(k, 0xffffffffffffe000ULL, 0x1000))
/* Quirks of real kernels' files. */
MUTATION(g_pie_at_zero, kimg_pie(k))
MUTATION(g_dyn_in_higher_half, k->eh.e_type = ET_DYN)      /* runs where linked */
MUTATION(g_empty_load_at_zero, k->ph[STACK] = load(0x4000, 0, 0, 0, PF_R | PF_W))
/* GNU ld's empty PHDRS entry: vaddr 0, p_offset where the file had got to. */
MUTATION(g_empty_load_offset_mismatch, k->ph[STACK] = load(0x1c8, 0, 0, 0, PF_R))
MUTATION(g_empty_load_offset_past_eof, k->ph[STACK] = load(k->size + 0x1000, 0, 0, 0, PF_R))
MUTATION(g_empty_load_noncanonical,
         k->ph[STACK] = load(0x4000, 0x0000900000000000ULL, 0, 0, PF_R | PF_X | PF_W))
MUTATION(g_unaligned_text, k->ph[TEXT].p_vaddr = KBASE + 0x123; k->ph[TEXT].p_offset = 0x1123;
         k->eh.e_entry = KBASE + 0x200;
         k->ph[TEXT].p_filesz = k->ph[TEXT].p_memsz = 0x1600)
MUTATION(g_unaligned_data, k->ph[DATA].p_vaddr = KBASE + 0x3ff8; k->ph[DATA].p_offset = 0x4ff8 - 0x1000;
         k->ph[DATA].p_filesz = 0x100; k->size = 0x4100)
MUTATION(g_huge_bss, k->ph[DATA].p_memsz = ELF_MAX_IMAGE_BYTES / 2)
MUTATION(g_dynamic_in_data, k->ph[STACK] = dynamic_at(KBASE + 0x3000, 0x100))
MUTATION(g_dynamic_in_bss, k->ph[STACK] = dynamic_at(KBASE + 0x5f00, 0x100))
MUTATION(g_gnu_headers,
         kimg_extra(k, (Elf64_Phdr){ .p_type = PT_GNU_RELRO, .p_vaddr = KBASE + 0x3000, .p_memsz = 0x1000 });
         kimg_extra(k, (Elf64_Phdr){ .p_type = PT_GNU_EH_FRAME, .p_offset = 0x3100,
                                     .p_vaddr = KBASE + 0x2100, .p_filesz = 0x40, .p_memsz = 0x40 });
         kimg_extra(k, (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x3200, .p_vaddr = KBASE + 0x2200,
                                     .p_filesz = 0x24, .p_memsz = 0x24, .p_align = 4 });
         kimg_extra(k, (Elf64_Phdr){ .p_type = PT_PHDR, .p_offset = 0x40, .p_filesz = 0x200,
                                     .p_memsz = 0x200 });
         kimg_extra(k, (Elf64_Phdr){ .p_type = PT_TLS, .p_vaddr = KBASE + 0x3000, .p_memsz = 8 }))

static void (*const good_cases[])(struct kimg *) = {
    g_align_0, g_align_1, g_align_2m, g_phentsize_padded, g_entry_first_byte,
    g_entry_last_file_byte, g_bss_only_data, g_text_fills_page, g_garbage_note,
    g_empty_load, g_table_at_end, g_max_phdrs, g_max_segments, g_max_single_segment,
    g_lowest_higher_half, g_highest_usable_page, g_pie_at_zero, g_dyn_in_higher_half,
    g_empty_load_at_zero, g_empty_load_noncanonical, g_empty_load_offset_mismatch,
    g_empty_load_offset_past_eof, g_unaligned_text, g_unaligned_data,
    g_huge_bss, g_dynamic_in_data, g_dynamic_in_bss, g_gnu_headers,
};

static void test_good_variants(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(good_cases); i++) {
        struct kimg k;
        struct elf_image img;
        good_cases[i](&k);
        enum elf_error err = validate(&k, &img);
        if (err != ELF_OK)
            fail_msg("good case %zu: %s", i, elf_strerror(err));
        assert_true(img.nsegs >= 1);
    }
}

static void test_good_output_details(void **state)
{
    struct kimg k;
    struct elf_image img;
    (void)state;

    g_empty_load(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.nsegs, 3);                  /* the empty one is gone */

    g_max_segments(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.nsegs, ELF_MAX_SEGMENTS);
    assert_int_equal(img.hi - img.lo, ELF_MAX_SEGMENTS * PAGE_SIZE);

    g_max_single_segment(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.hi - img.lo, ELF_MAX_IMAGE_BYTES);

    g_highest_usable_page(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.hi, 0xfffffffffffff000ULL);
    assert_int_equal(img.type, ET_EXEC);
    assert_int_equal(img.slide, 0);
    assert_int_equal(img.dyn_size, 0);
}

/* A PIE linked at 0 lands exactly on the baseline; its PT_DYNAMIC slides with it. */
static void test_pie_slide(void **state)
{
    struct kimg k;
    struct elf_image img;
    (void)state;

    kimg_pie(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.type, ET_DYN);
    assert_int_equal(img.slide, ELF_PIE_BASE);
    assert_baseline_output(&img);
    assert_int_equal(img.dyn, KBASE + 0x3000);
    assert_int_equal(img.dyn_size, 0x100);

    g_dyn_in_higher_half(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.slide, 0);
    assert_baseline_output(&img);
}

/* Unaligned p_vaddr: the page-granular image covers the whole segment. */
static void test_quirk_outputs(void **state)
{
    struct kimg k;
    struct elf_image img;
    (void)state;

    g_unaligned_text(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.lo, KBASE);
    assert_seg(&img.segs[0], KBASE + 0x123, 0x1600, 0x1600, 0x1123, PF_R | PF_X);

    g_unaligned_data(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.hi, ALIGN_UP(KBASE + 0x3ff8 + 0x3000, PAGE_SIZE));

    g_huge_bss(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.hi - img.lo, 0x3000 + ELF_MAX_IMAGE_BYTES / 2);

    g_empty_load_at_zero(&k);
    assert_int_equal(validate(&k, &img), ELF_OK);
    assert_int_equal(img.nsegs, 3);
    assert_int_equal(img.lo, KBASE);
}

/* ---- every single-byte corruption of the headers ------------------------ */

/* Overwrite each byte of the ELF header and program-header table with a
 * handful of values. Any result is allowed; the point is that nothing
 * reads out of bounds (ASan) and that an accepted image keeps the
 * promises elfcheck.h makes. */
static void test_byte_corruptions(void **state)
{
    static const uint8_t values[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };
    struct kimg k;
    uint8_t *alloc;
    size_t accepted = 0, tried = 0;
    (void)state;

    kimg_good(&k);
    uint8_t *file = kimg_bytes(&k, 0, &alloc);
    size_t hdr_bytes = sizeof(Elf64_Ehdr) + NPH_BASE * sizeof(Elf64_Phdr);
    for (size_t at = 0; at < hdr_bytes; at++) {
        uint8_t saved = file[at];
        for (size_t v = 0; v < ARRAY_LEN(values); v++, tried++) {
            struct elf_image img;
            file[at] = values[v];
            if (elf_validate(file, k.size, &img) != ELF_OK)
                continue;
            accepted++;
            assert_true(img.nsegs >= 1 && img.nsegs <= ELF_MAX_SEGMENTS);
            assert_true(img.lo < img.hi && img.hi - img.lo <= ELF_MAX_IMAGE_BYTES);
            for (size_t s = 0; s < img.nsegs; s++) {
                assert_true(img.segs[s].offset + img.segs[s].filesz <= k.size);
                assert_false((img.segs[s].flags & PF_W) && (img.segs[s].flags & PF_X));
            }
        }
        file[at] = saved;
    }
    free(alloc);
    print_message("  %zu corruptions, %zu still valid\n", tried, accepted);
}

/* ---- messages ------------------------------------------------------------ */

/* Boot tests find the reason in the serial log by substring, so every
 * message must be distinct and none may contain another. */
static void test_strerror_distinct(void **state)
{
    (void)state;
    for (int a = ELF_OK; a < ELF_ERR_COUNT; a++) {
        const char *ma = elf_strerror((enum elf_error)a);
        assert_non_null(ma);
        assert_string_not_equal(ma, elf_strerror(ELF_ERR_COUNT));
        for (int b = ELF_OK; b < ELF_ERR_COUNT; b++) {
            if (a != b && strstr(elf_strerror((enum elf_error)b), ma))
                fail_msg("message %d \"%s\" is inside message %d", a, ma, b);
        }
    }
    assert_string_equal(elf_strerror((enum elf_error)12345), "unknown ELF error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_bad_images_cover_every_error),
        cmocka_unit_test(test_good_multi_segment),
        cmocka_unit_test(test_good_unaligned_buffer),
        cmocka_unit_test(test_good_unsorted_table),
        cmocka_unit_test(test_good_variants),
        cmocka_unit_test(test_good_output_details),
        cmocka_unit_test(test_pie_slide),
        cmocka_unit_test(test_quirk_outputs),
        cmocka_unit_test(test_byte_corruptions),
        cmocka_unit_test(test_strerror_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
