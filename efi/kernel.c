/* Placing the kernel: validate the ELF (shared/elf.c) before trusting any
 * byte of it, check that a Pagoda kernel stays out of the loader's own
 * windows (paging_check_placement; a Limine kernel's address space has none
 * of them), then copy its PT_LOAD segments into one
 * physically contiguous allocation typed PAGODA_MEM_KERNEL, zero-filling
 * p_memsz beyond p_filesz, and apply its dynamic relocations there
 * (shared/elf_reloc.c). All of it runs before ExitBootServices: a kernel
 * whose relocations are refused is freed and the firmware moves on. */
#include <elf.h>
#include <string.h>

#include "elf_reloc.h"
#include "loader.h"

/* Physical layout mirrors the virtual one: segment at vaddr v lives at
 * phys + (v - elf.lo). The mapping step relies on this. */
static void copy_segments(const void *file, const struct kernel_load *k)
{
    uint8_t *image = (uint8_t *)(uintptr_t)k->phys;  /* identity-mapped by the firmware */

    memset(image, 0, k->size);
    for (size_t i = 0; i < k->elf.nsegs; i++) {
        const struct elf_segment *s = &k->elf.segs[i];
        memcpy(image + (s->vaddr - k->elf.lo), (const uint8_t *)file + s->offset, s->filesz);
    }
}

/* The image's PT_DYNAMIC relocations, applied in place; a refusal names
 * the symbol or type where there is one. */
static EFI_STATUS relocate(const struct kernel_load *k)
{
    struct elf_reloc_view v = elf_reloc_view_of(&k->elf, (void *)(uintptr_t)k->phys);
    struct elf_reloc_report r;
    enum elf_error err = elf_relocate(&v, k->elf.dyn, k->elf.dyn_size, &r);

    if (err == ELF_ERR_RELOC_UNDEFINED) {
        con_printf("pagoda: kernel rejected: %s '%s'\n", elf_strerror(err), r.symbol);
        return EFI_LOAD_ERROR;
    }
    if (err == ELF_ERR_RELOC_TYPE) {
        con_printf("pagoda: kernel rejected: %s %u\n", elf_strerror(err), (unsigned)r.bad_type);
        return EFI_LOAD_ERROR;
    }
    if (err != ELF_OK) {
        con_printf("pagoda: kernel rejected: %s\n", elf_strerror(err));
        return EFI_LOAD_ERROR;
    }
    if (k->elf.type == ET_DYN || k->elf.dyn_size)
        con_note("pagoda: kernel: %s, slide 0x%lx, %lu RELA + %lu RELR relocations applied\n",
                   k->elf.type == ET_DYN ? "position-independent" : "executable",
                   (unsigned long)k->elf.slide, (unsigned long)r.rela, (unsigned long)r.relr);
    return EFI_SUCCESS;
}

EFI_STATUS kernel_load(const void *file, UINTN size, enum kernel_windows windows, struct kernel_load *out)
{
    EFI_PHYSICAL_ADDRESS phys = 0;
    enum elf_error err;
    EFI_STATUS st;

    err = elf_validate(file, size, &out->elf);
    if (err != ELF_OK) {
        con_printf("pagoda: kernel rejected: %s\n", elf_strerror(err));
        return EFI_LOAD_ERROR;
    }
    if (windows == KERNEL_WINDOWS_PAGODA && (st = paging_check_placement(&out->elf)) != EFI_SUCCESS)
        return st;
    out->size = out->elf.hi - out->elf.lo;
    st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, PAGODA_MEM_KERNEL,
                           out->size >> PAGE_SHIFT, &phys);
    if (EFI_ERROR(st)) {
        con_printf("pagoda: no memory for the kernel image (%lu KiB): %s\n",
                   (unsigned long)(out->size / KiB), efi_status_str(st));
        return st;
    }
    out->phys = phys;
    copy_segments(file, out);
    if ((st = relocate(out)) != EFI_SUCCESS) {
        uefi_call_wrapper(BS->FreePages, 2, phys, out->size >> PAGE_SHIFT);  /* our own pages: cannot fail */
        return st;
    }
    con_note("pagoda: kernel: %lu segments, %lu KiB at phys 0x%lx virt 0x%lx entry 0x%lx\n",
               (unsigned long)out->elf.nsegs, (unsigned long)(out->size / KiB),
               (unsigned long)out->phys, (unsigned long)out->elf.lo,
               (unsigned long)out->elf.entry);
    return EFI_SUCCESS;
}
