/* ELF64 kernel validation (include/elfcheck.h).
 *
 * The file is untrusted until elf_validate() returns ELF_OK: a truncated,
 * hand-crafted or fuzzed kernel must produce an error code, never a read
 * outside the buffer, a wrapped sum or a mapping over the loader. So:
 *  - headers are copied out with memcpy, never dereferenced in place (the
 *    buffer may be unaligned, and a cast would trust e_phoff);
 *  - every sum of two file-controlled values goes through
 *    __builtin_add_overflow, and every size is bounded before it is used;
 *  - checks run from the outside in: file size, e_ident, header fields, the
 *    program-header table, each PT_LOAD alone, then the PT_LOADs as a set
 *    (sorted by vaddr: overlap, span), then the entry point.
 *
 * Address-space rules (4-level paging, 48-bit virtual addresses):
 *
 *   0x0000000000000000 +------------------+
 *                      | lower half       |  ELF_ERR_LOWER_HALF
 *   0x0000800000000000 +------------------+
 *                      | non-canonical    |  ELF_ERR_NONCANONICAL
 *   0xFFFF800000000000 +------------------+
 *                      | higher half      |  kernel segments go here
 *   0xFFFFFFFFFFFFF000 +------------------+
 *                      | top page         |  unusable: its end wraps to 0
 *                      +------------------+
 *
 * A segment that starts in the higher half is canonical throughout, since
 * p_vaddr + p_memsz may not wrap.
 */
#include <elf.h>

#include "elfcheck.h"

#define LOWER_HALF_END   0x0000800000000000ULL  /* first address past the lower half */
#define HIGHER_HALF_BASE 0xFFFF800000000000ULL  /* first canonical higher-half address */

/* ---- small helpers ------------------------------------------------------ */

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Page-rounded end of [vaddr, vaddr+memsz). Valid only after check_vrange. */
static vaddr_t seg_page_end(const struct elf_segment *s)
{
    return ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
}

/* ---- ELF header ------------------------------------------------------- */

static enum elf_error check_ident(const unsigned char *ident)
{
    if (ident[EI_MAG0] != ELFMAG0 || ident[EI_MAG1] != ELFMAG1 ||
        ident[EI_MAG2] != ELFMAG2 || ident[EI_MAG3] != ELFMAG3)
        return ELF_ERR_MAGIC;
    if (ident[EI_CLASS] != ELFCLASS64)
        return ELF_ERR_CLASS;
    if (ident[EI_DATA] != ELFDATA2LSB)
        return ELF_ERR_ENDIAN;
    if (ident[EI_VERSION] != EV_CURRENT)
        return ELF_ERR_VERSION;
    return ELF_OK;
}

static enum elf_error check_ehdr(const Elf64_Ehdr *eh)
{
    enum elf_error err = check_ident(eh->e_ident);

    if (err != ELF_OK)
        return err;
    if (eh->e_version != EV_CURRENT)
        return ELF_ERR_VERSION;
    if (eh->e_machine != EM_X86_64)
        return ELF_ERR_MACHINE;
    if (eh->e_type != ET_EXEC)      /* no relocation support: ET_DYN is out */
        return ELF_ERR_TYPE;
    if (eh->e_phentsize < sizeof(Elf64_Phdr))
        return ELF_ERR_PHENTSIZE;
    /* PN_XNUM means the real count is in section header 0: unsupported,
     * and ELF_MAX_PHDRS is far below it anyway. */
    if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
        return ELF_ERR_PHNUM;
    return ELF_OK;
}

/* [e_phoff, e_phoff + e_phnum * e_phentsize) must lie inside the file.
 * The product fits in 32 bits (both factors are 16-bit), the sum may not. */
static enum elf_error check_phdr_table(const Elf64_Ehdr *eh, size_t size)
{
    uint64_t table_bytes = (uint64_t)eh->e_phnum * eh->e_phentsize;
    uint64_t table_end;

    if (__builtin_add_overflow(eh->e_phoff, table_bytes, &table_end) ||
        table_end > size)
        return ELF_ERR_PHDRS_OUTSIDE;
    return ELF_OK;
}

/* ---- one PT_LOAD -------------------------------------------------------- */

/* The file bytes [p_offset, p_offset + p_filesz) exist, and file pages can
 * be mapped at p_vaddr (same offset within the page). p_offset is checked
 * even when p_filesz is 0 so that no nonsense value reaches the loader. */
static enum elf_error check_file_range(const Elf64_Phdr *ph, size_t size)
{
    uint64_t file_end;

    if (ph->p_filesz > ph->p_memsz)
        return ELF_ERR_FILESZ_GT_MEMSZ;
    if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &file_end) ||
        file_end > size)
        return ELF_ERR_SEG_OUTSIDE;
    /* 0 and 1 both mean "no constraint" (ELF gABI). */
    if (ph->p_align > 1 && !is_pow2(ph->p_align))
        return ELF_ERR_ALIGN;
    if (ph->p_vaddr % PAGE_SIZE != ph->p_offset % PAGE_SIZE)
        return ELF_ERR_OFFSET_MISMATCH;
    return ELF_OK;
}

/* [p_vaddr, p_vaddr + p_memsz) rounded out to pages is representable and
 * lies in the higher half. The size limit comes first so that a huge
 * p_memsz reports as "too big" rather than as the wrap it also causes. */
static enum elf_error check_vrange(const Elf64_Phdr *ph)
{
    uint64_t end, page_end;

    if (ph->p_memsz > ELF_MAX_IMAGE_BYTES)
        return ELF_ERR_SEG_TOO_BIG;
    if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) ||
        __builtin_add_overflow(end, PAGE_SIZE - 1, &page_end))
        return ELF_ERR_VADDR_WRAP;
    if (ph->p_vaddr < LOWER_HALF_END)
        return ELF_ERR_LOWER_HALF;
    if (ph->p_vaddr < HIGHER_HALF_BASE)
        return ELF_ERR_NONCANONICAL;
    return ELF_OK;
}

static enum elf_error check_load(const Elf64_Phdr *ph, size_t size)
{
    enum elf_error err = check_file_range(ph, size);

    if (err == ELF_OK)
        err = check_vrange(ph);
    if (err == ELF_OK && (ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        err = ELF_ERR_WX;
    return err;
}

/* ---- the PT_LOADs as a set ---------------------------------------------- */

/* Copy every PT_LOAD out of the (already bounds-checked) table into img,
 * checking each on the way. Other program-header types are ignored: the
 * loader acts on PT_LOAD only. */
static enum elf_error collect_loads(const unsigned char *file, size_t size,
                                    const Elf64_Ehdr *eh, struct elf_image *img)
{
    for (size_t i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        __builtin_memcpy(&ph, file + eh->e_phoff + i * eh->e_phentsize, sizeof(ph));
        if (ph.p_type != PT_LOAD)
            continue;
        enum elf_error err = check_load(&ph, size);
        if (err != ELF_OK)
            return err;
        if (ph.p_memsz == 0)       /* maps nothing: checked, then dropped */
            continue;
        if (img->nsegs == ELF_MAX_SEGMENTS)
            return ELF_ERR_TOO_MANY_LOADS;
        img->segs[img->nsegs++] = (struct elf_segment){
            .vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .filesz = ph.p_filesz,
            .offset = ph.p_offset, .flags = ph.p_flags,
        };
    }
    return img->nsegs > 0 ? ELF_OK : ELF_ERR_NO_LOAD;
}

/* Insertion sort by vaddr: n <= ELF_MAX_SEGMENTS and usually already sorted. */
static void sort_segments(struct elf_image *img)
{
    for (size_t i = 1; i < img->nsegs; i++) {
        struct elf_segment s = img->segs[i];
        size_t j = i;
        for (; j > 0 && img->segs[j - 1].vaddr > s.vaddr; j--)
            img->segs[j] = img->segs[j - 1];
        img->segs[j] = s;
    }
}

/* Page permissions are per page, so two segments may not even share one:
 *
 *      text  [=======)          rejected: the page holding the end of
 *   data           [=====)      text and the start of data would need
 *         |page |page |page |   both R-X and RW-.
 *
 * With the segments sorted, each must start at or after the page-rounded
 * end of the one before. */
static enum elf_error check_layout(struct elf_image *img)
{
    for (size_t i = 1; i < img->nsegs; i++) {
        if (ALIGN_DOWN(img->segs[i].vaddr, PAGE_SIZE) < seg_page_end(&img->segs[i - 1]))
            return ELF_ERR_OVERLAP;
    }
    img->lo = ALIGN_DOWN(img->segs[0].vaddr, PAGE_SIZE);
    img->hi = seg_page_end(&img->segs[img->nsegs - 1]);
    if (img->hi - img->lo > ELF_MAX_IMAGE_BYTES)
        return ELF_ERR_SEG_TOO_BIG;
    return ELF_OK;
}

/* The entry must be code that comes from the file: inside an executable
 * segment and below its p_filesz (jumping into zero-filled .bss is never
 * intended). */
static enum elf_error check_entry(const struct elf_image *img)
{
    for (size_t i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        if ((s->flags & PF_X) && img->entry >= s->vaddr &&
            img->entry - s->vaddr < s->filesz)
            return ELF_OK;
    }
    return ELF_ERR_ENTRY;
}

/* ---- entry points ------------------------------------------------------- */

static enum elf_error validate(const unsigned char *file, size_t size,
                               struct elf_image *img)
{
    Elf64_Ehdr eh;
    enum elf_error err;

    if (size == 0)
        return ELF_ERR_EMPTY;
    if (size < sizeof(eh))
        return ELF_ERR_TRUNCATED;
    __builtin_memcpy(&eh, file, sizeof(eh));
    if ((err = check_ehdr(&eh)) != ELF_OK ||
        (err = check_phdr_table(&eh, size)) != ELF_OK ||
        (err = collect_loads(file, size, &eh, img)) != ELF_OK)
        return err;
    sort_segments(img);
    if ((err = check_layout(img)) != ELF_OK)
        return err;
    img->entry = eh.e_entry;
    return check_entry(img);
}

enum elf_error elf_validate(const void *file, size_t size, struct elf_image *out)
{
    __builtin_memset(out, 0, sizeof(*out));
    enum elf_error err = validate(file, size, out);
    if (err != ELF_OK)
        __builtin_memset(out, 0, sizeof(*out));
    return err;
}

const char *elf_strerror(enum elf_error err)
{
    switch (err) {   /* no default: -Wswitch flags a missing message */
    case ELF_OK:                  return "no error";
    case ELF_ERR_EMPTY:           return "empty file";
    case ELF_ERR_TRUNCATED:       return "file shorter than the ELF header";
    case ELF_ERR_MAGIC:           return "bad magic: not an ELF file";
    case ELF_ERR_CLASS:           return "not a 64-bit ELF (ELFCLASS64)";
    case ELF_ERR_ENDIAN:          return "not little-endian (ELFDATA2LSB)";
    case ELF_ERR_VERSION:         return "unsupported ELF version";
    case ELF_ERR_MACHINE:         return "not an x86_64 ELF (e_machine)";
    case ELF_ERR_TYPE:            return "not a static executable (e_type != ET_EXEC)";
    case ELF_ERR_PHENTSIZE:       return "e_phentsize smaller than Elf64_Phdr";
    case ELF_ERR_PHNUM:           return "no program headers, or too many";
    case ELF_ERR_PHDRS_OUTSIDE:   return "program-header table outside the file";
    case ELF_ERR_NO_LOAD:         return "no loadable segment (PT_LOAD)";
    case ELF_ERR_TOO_MANY_LOADS:  return "too many PT_LOAD segments";
    case ELF_ERR_FILESZ_GT_MEMSZ: return "p_filesz > p_memsz in a PT_LOAD";
    case ELF_ERR_SEG_OUTSIDE:     return "PT_LOAD extends past the end of the file";
    case ELF_ERR_ALIGN:           return "p_align not 0, 1 or a power of two";
    case ELF_ERR_VADDR_WRAP:      return "p_vaddr + p_memsz wraps around the address space";
    case ELF_ERR_NONCANONICAL:    return "non-canonical segment address";
    case ELF_ERR_LOWER_HALF:      return "segment below the higher half";
    case ELF_ERR_OFFSET_MISMATCH: return "p_vaddr and p_offset differ modulo the page size";
    case ELF_ERR_SEG_TOO_BIG:     return "segment or image larger than ELF_MAX_IMAGE_BYTES";
    case ELF_ERR_OVERLAP:         return "PT_LOAD segments overlap or share a page";
    case ELF_ERR_WX:              return "segment both writable and executable (W^X)";
    case ELF_ERR_ENTRY:           return "entry point not in an executable PT_LOAD";
    case ELF_ERR_COUNT:           break;
    }
    return "unknown ELF error";
}
