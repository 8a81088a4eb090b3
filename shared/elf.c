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
 *    (sorted by vaddr: overlap, span), then the entry point and PT_DYNAMIC.
 *
 * An ET_DYN (position-independent) kernel linked in the lower half is slid
 * by ELF_PIE_BASE before any address check, so every rule below applies to
 * the addresses it runs at; its relocations are applied by the loader on
 * the loaded image (shared/elf_reloc.c). Program headers other than
 * PT_LOAD, PT_DYNAMIC and PT_INTERP (PT_GNU_STACK, PT_GNU_RELRO,
 * PT_GNU_EH_FRAME, PT_NOTE, PT_PHDR, PT_TLS...) describe parts of the
 * loaded image or hints, and are ignored.
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
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
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
 * p_memsz reports as "too big" rather than as the wrap it also causes.
 * p_vaddr is the run-time address (already slid). */
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

/* An empty PT_LOAD (p_memsz == 0) maps and copies nothing, so where it
 * claims to be does not matter: GNU ld emits a PHDRS entry no section
 * lands in at p_vaddr 0 with whatever p_offset it had reached, which
 * need not agree with it modulo the page size. Only p_filesz is checked. */
static enum elf_error check_load(const Elf64_Phdr *ph, size_t size)
{
    if (ph->p_memsz == 0)
        return ph->p_filesz == 0 ? ELF_OK : ELF_ERR_FILESZ_GT_MEMSZ;
    enum elf_error err = check_file_range(ph, size);

    if (err != ELF_OK)
        return err;
    err = check_vrange(ph);
    if (err == ELF_OK && (ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        err = ELF_ERR_WX;
    return err;
}

/* ---- the PT_LOADs as a set ---------------------------------------------- */

static Elf64_Phdr read_phdr(const unsigned char *file, const Elf64_Ehdr *eh, size_t i)
{
    Elf64_Phdr ph;

    __builtin_memcpy(&ph, file + eh->e_phoff + i * eh->e_phentsize, sizeof(ph));
    return ph;
}

/* The slide: ELF_PIE_BASE for an ET_DYN whose lowest non-empty PT_LOAD is
 * in the lower half, else 0. A slide that pushes a segment past 2^64
 * reports as ELF_ERR_VADDR_WRAP (collect_loads). */
static uint64_t choose_slide(const unsigned char *file, const Elf64_Ehdr *eh)
{
    uint64_t lowest = UINT64_MAX;

    if (eh->e_type != ET_DYN)
        return 0;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph = read_phdr(file, eh, i);
        if (ph.p_type == PT_LOAD && ph.p_memsz > 0)
            lowest = MIN(lowest, ph.p_vaddr);
    }
    return lowest < LOWER_HALF_END ? ELF_PIE_BASE : 0;
}

/* The one PT_DYNAMIC, slid; several are refused. Where it lies is checked
 * once the image's span is known (check_dynamic). */
static enum elf_error note_dynamic(const Elf64_Phdr *ph, struct elf_image *img)
{
    if (img->dyn_size != 0 || ph->p_memsz == 0)
        return ELF_ERR_DYNAMIC;
    img->dyn = ph->p_vaddr + img->slide;    /* modulo 2^64; check_dynamic bounds it */
    img->dyn_size = ph->p_memsz;
    return ELF_OK;
}

/* Copy every PT_LOAD out of the (already bounds-checked) table into img,
 * checking each on the way, and note the PT_DYNAMIC. A PT_INTERP asks for
 * a dynamic linker, which a kernel cannot have. Other types are ignored. */
static enum elf_error collect_loads(const unsigned char *file, size_t size,
                                    const Elf64_Ehdr *eh, struct elf_image *img)
{
    for (size_t i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph = read_phdr(file, eh, i);
        if (ph.p_type == PT_INTERP)
            return ELF_ERR_INTERP;
        if (ph.p_type == PT_DYNAMIC) {
            enum elf_error err = note_dynamic(&ph, img);
            if (err != ELF_OK)
                return err;
            continue;
        }
        if (ph.p_type != PT_LOAD)
            continue;
        if (ph.p_memsz > 0 && __builtin_add_overflow(ph.p_vaddr, img->slide, &ph.p_vaddr))
            return ELF_ERR_VADDR_WRAP;
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

/* The dynamic table lies inside one segment's [vaddr, vaddr + memsz), so
 * its bytes are the ones the linker put there (or zero fill), never the
 * padding between segments. */
static enum elf_error check_dynamic(const struct elf_image *img)
{
    if (img->dyn_size == 0)
        return ELF_OK;
    for (size_t i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        if (img->dyn >= s->vaddr && img->dyn - s->vaddr < s->memsz &&
            img->dyn_size <= s->memsz - (img->dyn - s->vaddr))
            return ELF_OK;
    }
    return ELF_ERR_DYNAMIC;
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
        (err = check_phdr_table(&eh, size)) != ELF_OK)
        return err;
    img->type = eh.e_type;
    img->slide = choose_slide(file, &eh);
    if ((err = collect_loads(file, size, &eh, img)) != ELF_OK)
        return err;
    sort_segments(img);
    if ((err = check_layout(img)) != ELF_OK)
        return err;
    /* Modulo 2^64, as the CPU computes it: the slid entry is in a slid
     * segment exactly when the link-time entry is in the link-time one. */
    img->entry = eh.e_entry + img->slide;
    if ((err = check_entry(img)) != ELF_OK)
        return err;
    return check_dynamic(img);
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
    case ELF_ERR_TYPE:            return "not an executable (e_type neither ET_EXEC nor ET_DYN)";
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
    case ELF_ERR_INTERP:          return "PT_INTERP: the kernel asks for a dynamic linker";
    case ELF_ERR_DYNAMIC:         return "PT_DYNAMIC repeated, empty or outside the loaded segments";
    case ELF_ERR_DYN_MALFORMED:   return "malformed dynamic table (no DT_NULL, a tag twice, or a table without its size)";
    case ELF_ERR_DYN_NEEDED:      return "the kernel needs a shared library (DT_NEEDED)";
    case ELF_ERR_RELOC_KIND:      return "DT_REL relocations (implicit addends) are not used on x86_64";
    case ELF_ERR_RELOC_ENTSIZE:   return "DT_RELAENT, DT_RELRENT or DT_SYMENT is not the ELF64 entry size";
    case ELF_ERR_RELOC_TABLE:     return "relocation, symbol or string table outside the loaded image or not whole entries";
    case ELF_ERR_RELOC_TYPE:      return "unsupported relocation type";
    case ELF_ERR_RELOC_TARGET:    return "relocation target outside the loaded image";
    case ELF_ERR_RELOC_SYMBOL:    return "relocation symbol index outside the symbol table";
    case ELF_ERR_RELOC_UNDEFINED: return "undefined symbol";
    case ELF_ERR_RELR:            return "malformed RELR table (bitmap before any address)";
    case ELF_ERR_COUNT:           break;
    }
    return "unknown ELF error";
}
