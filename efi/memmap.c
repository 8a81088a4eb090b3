/* The firmware memory map: sizing its buffer, the final GetMemoryMap +
 * ExitBootServices dance, and conversion to the tracker's raw entries.
 * Descriptors are stepped by DescriptorSize, never by sizeof: firmware pads
 * them (OVMF: 48 bytes against gnu-efi's 40). */
#include "loader.h"

/* Types gnu-efi 3.0.15 does not name (UEFI 2.10, Table 7.6). */
#define EFI_PERSISTENT_MEMORY   14
#define EFI_UNACCEPTED_MEMORY   15
#define EFI_MEMORY_SP_ATTR      0x0000000000040000ULL  /* specific-purpose ("soft reserved") */
#define EFI_OEM_TYPE_BASE       0x70000000U

/* Allocations between the size probe and the final call add descriptors;
 * Linux raised its slack from 8 to 32 after real platforms ran out. */
#define MEMMAP_SLACK_DESCRIPTORS 64
#define EXIT_MAX_ATTEMPTS        16

EFI_STATUS alloc_pages(UINT32 type, uint64_t bytes, EFI_ALLOCATE_TYPE how, paddr_t max,
                              paddr_t *out)
{
    EFI_PHYSICAL_ADDRESS a = max;
    EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, how, type,
                                      ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT, &a);
    if (EFI_ERROR(st)) {
        con_printf("pagoda: cannot allocate %lu KiB: %s\n", (unsigned long)(bytes / KiB),
                   efi_status_str(st));
        return st;
    }
    *out = a;
    return EFI_SUCCESS;
}

EFI_STATUS memmap_alloc(struct memmap *mm)
{
    EFI_STATUS st;
    UINTN size = 0;

    st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &mm->key, &mm->desc_size,
                           &mm->desc_version);
    if (st != EFI_BUFFER_TOO_SMALL)
        return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
    if (mm->desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
        return EFI_INCOMPATIBLE_VERSION;
    mm->buf_size = size + MEMMAP_SLACK_DESCRIPTORS * mm->desc_size;
    mm->size = 0;
    return uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, mm->buf_size, (void **)&mm->buf);
}

/* Fill the buffer allocated by memmap_alloc. Allocates nothing, prints
 * nothing: safe between retries of ExitBootServices. */
EFI_STATUS memmap_get(struct memmap *mm)
{
    mm->size = mm->buf_size;
    return uefi_call_wrapper(BS->GetMemoryMap, 5, &mm->size, mm->buf, &mm->key, &mm->desc_size,
                             &mm->desc_version);
}

UINTN memmap_count(const struct memmap *mm)
{
    return mm->size / mm->desc_size;
}

const EFI_MEMORY_DESCRIPTOR *memmap_desc(const struct memmap *mm, UINTN i)
{
    return (const EFI_MEMORY_DESCRIPTOR *)((const UINT8 *)mm->buf + i * mm->desc_size);
}

/* Final map + exit. A stale map key (EFI_INVALID_PARAMETER) means something
 * changed the map since GetMemoryMap (an event, a timer): re-get into the
 * same buffer and retry, a bounded number of times. Between these calls
 * nothing may print or allocate. Returns the last status; *attempts counts
 * ExitBootServices calls. */
EFI_STATUS memmap_exit_boot_services(EFI_HANDLE image, struct memmap *mm, UINT32 *attempts)
{
    EFI_STATUS st = EFI_ABORTED;

    for (*attempts = 0; *attempts < EXIT_MAX_ATTEMPTS;) {
        st = memmap_get(mm);
        if (EFI_ERROR(st))
            return st;
        ++*attempts;
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, mm->key);
        if (st != EFI_INVALID_PARAMETER)
            return st;
    }
    return st;
}

static enum pmem_type efi_to_pmem_type(const EFI_MEMORY_DESCRIPTOR *d)
{
    UINT32 t = d->Type;

    if (t >= PAGODA_MEM_BASE + PMEM_USABLE && t < PAGODA_MEM_BASE + PMEM_TYPE_COUNT)
        return (enum pmem_type)(t - PAGODA_MEM_BASE);
    switch (t) {
    case EfiConventionalMemory:
        return (d->Attribute & EFI_MEMORY_SP_ATTR) ? PMEM_RESERVED : PMEM_USABLE;
    case EfiLoaderCode:
    case EfiLoaderData: return PMEM_LOADER_RECLAIMABLE;
    case EfiBootServicesCode:
    case EfiBootServicesData: return PMEM_BOOT_SERVICES;
    case EfiRuntimeServicesCode:
    case EfiRuntimeServicesData: return PMEM_FIRMWARE_RUNTIME;
    case EfiACPIReclaimMemory: return PMEM_ACPI_RECLAIMABLE;
    case EfiACPIMemoryNVS: return PMEM_ACPI_NVS;
    case EfiMemoryMappedIO:
    case EfiMemoryMappedIOPortSpace: return PMEM_MMIO;
    case EfiUnusableMemory: return PMEM_BAD;
    case EFI_PERSISTENT_MEMORY: return PMEM_PERSISTENT;
    case EFI_UNACCEPTED_MEMORY: return PMEM_UNACCEPTED;
    default: return PMEM_RESERVED; /* reserved, PAL code, OEM and unknown OS types */
    }
}

size_t memmap_to_raw(const struct memmap *mm, struct pmem_raw *raw)
{
    UINTN n = memmap_count(mm);

    for (UINTN i = 0; i < n; i++) {
        const EFI_MEMORY_DESCRIPTOR *d = memmap_desc(mm, i);
        raw[i].base = d->PhysicalStart;
        raw[i].length = pmem_raw_length_from_pages(d->NumberOfPages);
        raw[i].type = efi_to_pmem_type(d);
    }
    return n;
}

uint64_t memmap_total_bytes(const struct memmap *mm)
{
    uint64_t total = 0;

    for (UINTN i = 0; i < memmap_count(mm); i++)
        total += memmap_desc(mm, i)->NumberOfPages << PAGE_SHIFT;
    return total;
}
