/* Shared declarations of the Limine test kernels: the requests (lk_requests.c),
 * the report format (lk_report.c), the physical-memory views (lk_mem.c), ACPI
 * facts (lk_acpi.c) and the check groups (lk_check_*.c).
 *
 * Report format, one line each on COM1 and QEMU's debug console (port 0xE9):
 *   lk: check NAME=pass|fail|missing DETAIL
 *   lk: result=pass|fail checks=N missing=M
 * `missing` = the request got no response. Exit through isa-debug-exit:
 * 0x10 when nothing failed, 0x11 otherwise. */
#ifndef LK_KERNEL_H
#define LK_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "lk_proto.h"

#ifndef LK_BASE_REVISION
#error "build with -DLK_BASE_REVISION=N"
#endif
#ifndef LK_TAG_REVISION
#define LK_TAG_REVISION LK_BASE_REVISION      /* what the tag asks for */
#endif
#define LK_STACK_SIZE 0x20000         /* asked for; the default is 64 KiB */
#define LK_DEFAULT_STACK 0x10000
#define LK_HIGHER_HALF_MIN 0xffffffff80000000UL
#define PAGE_SIZE 4096UL
#define PAGE_MASK (PAGE_SIZE - 1)
#define FOUR_GIB 0x100000000UL

/* The requests (volatile: the loader writes `response` behind the compiler). */
extern volatile uint64_t lk_base_revision[3];
extern volatile struct lk_bootloader_info_req lk_req_info;
extern volatile struct lk_exec_cmdline_req lk_req_cmdline;
extern volatile struct lk_firmware_type_req lk_req_firmware;
extern volatile struct lk_stack_size_req lk_req_stack;
extern volatile struct lk_hhdm_req lk_req_hhdm;
extern volatile struct lk_framebuffer_req lk_req_fb;
extern volatile struct lk_paging_mode_req lk_req_paging;
extern volatile struct lk_mp_req lk_req_mp;
extern volatile struct lk_memmap_req lk_req_memmap;
extern volatile struct lk_entry_point_req lk_req_entry;
extern volatile struct lk_exec_file_req lk_req_file;
extern volatile struct lk_module_req lk_req_module;
extern volatile struct lk_rsdp_req lk_req_rsdp;
extern volatile struct lk_smbios_req lk_req_smbios;
extern volatile struct lk_efi_system_table_req lk_req_systab;
extern volatile struct lk_efi_memmap_req lk_req_efimap;
extern volatile struct lk_date_req lk_req_date;
extern volatile struct lk_keep_iommu_req lk_req_keep_iommu;
extern volatile struct lk_exec_address_req lk_req_addr;
extern volatile struct lk_bootloader_info_req lk_req_decoy;   /* after the end marker */
extern volatile struct lk_bootloader_info_req lk_req_unknown; /* an ID no loader knows */
extern const char lk_internal_module_path[], lk_internal_module_string[];
uint64_t lk_expected_paging_mode(void);

/* Linker-script symbols: the image and its parts (addresses only). */
extern char __lk_image_start[], __lk_text_start[], __lk_data_start[], __lk_bss_start[], __lk_image_end[];

/* lk_report.c */
#define LK_PRINTF(f, a) __attribute__((format(printf, f, a)))
void lk_log(const char *fmt, ...) LK_PRINTF(1, 2);
void lk_pass(const char *name, const char *fmt, ...) LK_PRINTF(2, 3);
void lk_fail(const char *name, const char *fmt, ...) LK_PRINTF(2, 3);
void lk_missing(const char *name);
void lk_finish(void) __attribute__((noreturn));
int lk_snprintf(char *buf, size_t size, const char *fmt, ...) LK_PRINTF(3, 4);

/* A check is a function that ends in exactly one lk_pass/lk_fail/lk_missing.
 * CHECK names it; EXPECT fails it at the first broken fact and returns. */
#define CHECK(n) const char *const check_name_ = lk_check_begin(n)
const char *lk_check_begin(const char *name);   /* names the check a fault would be blamed on */

/* lk_fault.c: a GDT and an IDT of our own, so a fault in a check (a loader
 * bug such as an unmapped response or GDT) ends the run with a report line
 * instead of a triple fault. What the loader handed over (descriptor-table
 * registers, FS/GS bases) is recorded first, in lk_entry_tables_seen, for the
 * entry checks. */
struct lk_dtr { uint16_t limit; uint64_t base; } __attribute__((packed));
struct lk_tables_seen { struct lk_dtr idtr, gdtr; uint16_t ldtr, tr; uint64_t fs_base, gs_base; };
extern struct lk_tables_seen lk_entry_tables_seen;
void lk_tables_record(struct lk_tables_seen *t);
const char *lk_tr_problem(const struct lk_tables_seen *t);   /* lk_check_cpu.c: NULL when TR is base 0 limit 0 */
void lk_fault_install(void);                    /* BSP: build the IDT, load both tables */
void lk_fault_load(void);                       /* APs: load the same GDT and IDT */
#define NEED(resp) do { if (!(resp)) { lk_missing(check_name_); return; } } while (0)
#define EXPECT(cond, ...) do { if (!(cond)) { lk_fail(check_name_, __VA_ARGS__); return; } } while (0)
#define PASS(...) lk_pass(check_name_, __VA_ARGS__)

/* lk_lib.c: freestanding helpers (the compiler may also call memset/memcpy). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int lk_streq(const char *a, const char *b);
const char *lk_strstr(const char *hay, const char *needle);
uint64_t lk_parse_u64(const char *s, const char **end);
int lk_cmdline_u64(const char *cmdline, const char *key, uint64_t *out);
uint8_t lk_sum8(const void *p, size_t n);
uint8_t lk_pattern_byte(uint64_t seed, uint64_t i);
uint32_t lk_fnv1a32(const void *p, size_t n);
const char *lk_lapic_state_problem(void);   /* NULL when this CPU's LAPIC is in the revision-5 state */
int lk_wait_rtc_seconds(volatile uint64_t *counter, uint64_t target, unsigned seconds);

/* lk_mem.c: views of physical memory that do not trust the responses. */
struct lk_walk { uint64_t pa, pte; int level; };   /* level 1 = 4 KiB leaf, 2 = 2 MiB, 3 = 1 GiB */
uint64_t lk_hhdm(void);                         /* 0 without an HHDM response */
int lk_walk(uint64_t va, struct lk_walk *w);    /* 0 = mapped */
int lk_la57(void);
int lk_window_init(void);                       /* 0 = ok; needs the HHDM */
volatile void *lk_window(int slot, uint64_t pa, int uncached);
#define LK_SLOT_COPY 0
#define LK_SLOT_LAPIC 1
#define LK_SLOT_IOAPIC 2
#define LK_SLOT_CHECK 3
int lk_phys_copy(void *dst, uint64_t pa, size_t len);
uint64_t lk_virt_to_phys_hint(uint64_t va);     /* response pointers: minus HHDM */
int lk_is_hhdm_ptr(const volatile void *p);
const struct lk_memmap_entry *lk_memmap_find(uint64_t pa);   /* first entry containing pa */
int lk_memmap_covers(uint64_t base, uint64_t len, uint32_t type_mask);
#define TYPE_BIT(t) (1u << (t))

/* lk_acpi.c: the MADT, the DMAR and the IVRS, read through the window from the RSDP's physical address. */
#define LK_MAX_CPUS 64
#define LK_MAX_IOAPICS 8
#define LK_MAX_DRHDS 8
struct lk_madt_cpu { uint32_t uid, apic_id; };
struct lk_madt_ioapic { uint32_t address, gsi_base; };
struct lk_acpi {
    int valid;
    int cpu_count;
    struct lk_madt_cpu cpus[LK_MAX_CPUS];
    int ioapic_count;
    struct lk_madt_ioapic ioapics[LK_MAX_IOAPICS];
    int dmar;                                   /* a DMAR table was found */
    int drhd_count;
    uint64_t drhds[LK_MAX_DRHDS];               /* VT-d register bases */
    int amdvi_count;
    uint64_t amdvis[LK_MAX_DRHDS];              /* AMD-Vi MMIO bases (IVRS IVHD blocks) */
};
const struct lk_acpi *lk_acpi(void);
uint64_t lk_rsdp_phys(void);                    /* 0 if unknown */
uint32_t lk_lapic_read(uint32_t reg);           /* this CPU's LAPIC (xAPIC window or x2APIC MSR) */
uint32_t lk_lapic_id(void);

/* Check groups in report order (lk_main.c calls them). */
void lk_check_base_revision(void);
void lk_check_markers(void);
void lk_check_unknown_request(void);
void lk_check_entry_regs(void);
void lk_check_entry_flags(void);
void lk_check_entry_cr(void);
void lk_check_entry_segs(void);
void lk_check_entry_tables(void);
void lk_check_pat(void);
void lk_check_pic(void);
void lk_check_stack(void);
void lk_check_bootloader_info(void);
void lk_check_firmware_type(void);
void lk_check_hhdm(void);
void lk_check_identity(void);
void lk_check_memmap(void);
void lk_check_memmap_efi(void);
void lk_check_efi_memmap(void);
void lk_check_executable_address(void);
void lk_check_executable_file(void);
void lk_check_cmdline(void);
void lk_check_entry_point(void);
void lk_check_paging_mode(void);
void lk_check_framebuffer(void);
void lk_check_modules(void);
void lk_check_rsdp(void);
void lk_check_smbios(void);
void lk_check_efi_system_table(void);
void lk_check_date(void);
void lk_check_ioapic(void);
void lk_check_lapic(void);
void lk_check_iommu(void);
void lk_check_mp(void);
void lk_check_mp_ap(void);
void lk_check_pie_reloc(void);
void lk_check_quirks(void);

#endif
