/* Limine-protocol test kernel: asks for every request issue 9 lists and checks
 * each response against facts it finds on its own (page tables, ACPI, EFI
 * tables, CPU registers, the ELF file). The order below is the report order
 * tests/limine/limine-tests.sh expects. */
#include "lk_entry.h"
#include "lk_kernel.h"

uint64_t lk_entry_state[ES_SLOTS];

void lk_main(void)
{
    lk_tables_record(&lk_entry_tables_seen);
    lk_fault_install();
    lk_log("kernel started (base revision %d)", LK_BASE_REVISION);
#ifndef LK_NO_TAG
    lk_check_base_revision();
#endif
    if (LK_BASE_REVISION >= 2)
        lk_check_markers();
    lk_check_unknown_request();
    lk_check_entry_regs();
    lk_check_entry_flags();
    lk_check_entry_cr();
    lk_check_entry_segs();
    if (LK_BASE_REVISION >= 5)
        lk_check_entry_tables();
    lk_check_pat();
    lk_check_pic();
    lk_check_stack();
    lk_check_bootloader_info();
    lk_check_firmware_type();
    lk_check_hhdm();
    lk_check_identity();
    lk_check_memmap();
    lk_check_memmap_efi();
    lk_check_efi_memmap();
    lk_check_executable_address();
    lk_check_executable_file();
    lk_check_cmdline();
    lk_check_entry_point();
    lk_check_paging_mode();
    lk_check_framebuffer();
    lk_check_modules();
    lk_check_rsdp();
    lk_check_smbios();
    lk_check_efi_system_table();
    lk_check_date();
    lk_check_ioapic();
    if (LK_BASE_REVISION >= 5)
        lk_check_lapic();
    if (LK_BASE_REVISION >= 5)
        lk_check_iommu();
    lk_check_mp();
    lk_check_mp_ap();
#ifdef LK_PIE
    lk_check_pie_reloc();
#endif
#ifdef LK_QUIRKS
    lk_check_quirks();
#endif
    lk_finish();
}
