/* libFuzzer harness for elf_validate (shared/elf.c).
 *
 * The input is copied into an allocation of exactly its size, so ASan
 * reports a read of even one byte past the end (libFuzzer's own buffer
 * may have slack). Whatever the verdict, elf_strerror must name it. When
 * the file is accepted, the promises of include/elfcheck.h are re-checked
 * here, independently of how elf.c implements them:
 *  - 1..ELF_MAX_SEGMENTS segments, sorted by vaddr, no two sharing a page;
 *  - each: memsz > 0, filesz <= memsz, file bytes inside the input,
 *    vaddr == offset mod page, higher half, no wrap, not W+X;
 *  - [lo, hi) is the page-rounded span, at most ELF_MAX_IMAGE_BYTES;
 *  - the entry is in the file-backed part of an executable segment;
 *  - ET_EXEC runs unslid, ET_DYN slid by 0 or ELF_PIE_BASE, and a
 *    PT_DYNAMIC lies inside one segment.
 *
 * Every input is tried twice: as a file on its own, and XORed over a
 * built-in valid kernel image (template_image). The second pass lets a
 * run that starts from an empty corpus (as the 20 s smoke run in
 * tests/run-all.sh does) reach the per-segment and set-wide checks at
 * once: an all-zero input is the valid image, and each mutation libFuzzer
 * makes flips a field of it.
 *
 * Build: make build/fuzz/fuzz_elf
 * Run:   build/fuzz/fuzz_elf -max_total_time=120 CORPUS_DIR
 * Seeds: any kernel ELF, plus tests/boot/mkbadelf.py's output.
 */
#include <elf.h>

#include "elfcheck.h"
#include "fuzz_common.h"

#define HIGHER_HALF_BASE 0xFFFF800000000000ULL

static uint64_t page_end(const struct elf_segment *s)
{
    return ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
}

static void check_segment(const struct elf_segment *s, size_t size)
{
    REQUIRE(s->memsz > 0 && s->filesz <= s->memsz);
    REQUIRE(s->offset <= size && s->filesz <= size - s->offset);
    REQUIRE(s->vaddr % PAGE_SIZE == s->offset % PAGE_SIZE);
    REQUIRE(s->vaddr >= HIGHER_HALF_BASE);
    /* vaddr + memsz rounded up to a page does not wrap past 2^64. */
    REQUIRE(s->memsz <= (0 - PAGE_SIZE) - s->vaddr);
    REQUIRE(!((s->flags & PF_W) && (s->flags & PF_X)));
}

static void check_image(const struct elf_image *img, size_t size)
{
    bool entry_ok = false;

    REQUIRE(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGMENTS);
    for (size_t i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        check_segment(s, size);
        if (i > 0)
            REQUIRE(ALIGN_DOWN(s->vaddr, PAGE_SIZE) >= page_end(&img->segs[i - 1]));
        if ((s->flags & PF_X) && img->entry >= s->vaddr &&
            img->entry < s->vaddr + s->filesz)
            entry_ok = true;
    }
    REQUIRE(entry_ok);
    REQUIRE(img->lo == ALIGN_DOWN(img->segs[0].vaddr, PAGE_SIZE));
    REQUIRE(img->hi == page_end(&img->segs[img->nsegs - 1]));
    REQUIRE(img->lo < img->hi && img->hi - img->lo <= ELF_MAX_IMAGE_BYTES);
    REQUIRE(img->type == ET_EXEC || img->type == ET_DYN);
    REQUIRE(img->slide == 0 || (img->type == ET_DYN && img->slide == ELF_PIE_BASE));
    if (img->dyn_size) {
        bool inside = false;
        for (size_t i = 0; i < img->nsegs; i++) {
            const struct elf_segment *s = &img->segs[i];
            if (img->dyn >= s->vaddr && img->dyn + img->dyn_size <= s->vaddr + s->memsz &&
                img->dyn + img->dyn_size >= img->dyn)
                inside = true;
        }
        REQUIRE(inside);
    }
}

static void check_rejected(const struct elf_image *img)
{
    static const struct elf_image zero;
    REQUIRE(memcmp(img, &zero, sizeof(zero)) == 0);
}

/* `file` is an allocation of exactly `size` bytes (or NULL if 0). */
static void check_file(const uint8_t *file, size_t size)
{
    struct elf_image img;
    enum elf_error err = elf_validate(file, size, &img);

    REQUIRE(err >= ELF_OK && err < ELF_ERR_COUNT);
    REQUIRE(strcmp(elf_strerror(err), elf_strerror(ELF_ERR_COUNT)) != 0);
    if (err == ELF_OK)
        check_image(&img, size);
    else
        check_rejected(&img);
}

/* ---- the template: text R-X, rodata R--, data+bss RW-, GNU_STACK ---- */

#define KBASE         0xFFFFFFFF80000000ULL
#define TEMPLATE_SIZE 0x4100
#define TEMPLATE_NPH  4

static Elf64_Phdr template_load(uint64_t off, uint64_t va, uint64_t filesz,
                                uint64_t memsz, uint32_t flags)
{
    return (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = flags, .p_offset = off,
                         .p_vaddr = va, .p_paddr = va - KBASE, .p_filesz = filesz,
                         .p_memsz = memsz, .p_align = PAGE_SIZE };
}

static void template_image(uint8_t file[TEMPLATE_SIZE])
{
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = KBASE + 0x10, .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = TEMPLATE_NPH,
    };
    Elf64_Phdr ph[TEMPLATE_NPH] = {
        template_load(0x1000, KBASE + 0x0000, 0x1800, 0x1800, PF_R | PF_X),
        template_load(0x3000, KBASE + 0x2000, 0x0800, 0x0800, PF_R),
        template_load(0x4000, KBASE + 0x3000, 0x0100, 0x3000, PF_R | PF_W),
        { .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W },
    };

    memset(file, 0xcc, TEMPLATE_SIZE);
    memcpy(file, &eh, sizeof(eh));
    memcpy(file + sizeof(eh), ph, sizeof(ph));
}

/* ---- entry point ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check_file);
    fuzz_check_xor(data, size, template_image, TEMPLATE_SIZE, check_file);
    return 0;
}
