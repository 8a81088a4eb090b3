/* The requests of the Limine test kernels, between a start and an end marker,
 * in sections the linker script keeps in that order inside the writable data
 * segment (the loader writes the response pointers). Build flags pick the
 * variant:
 *   LK_BASE_REVISION=N   the base-revision tag asks for N
 *   LK_NO_TAG            no base-revision tag (means revision 0; build with N=0)
 *   LK_TAG_REVISION=M    the tag asks for M instead of N (a revision newer than
 *                        any loader serves; the checks follow N, the one the
 *                        loader must then boot with)
 *   LK_NEED_5LVL         paging mode request: 5-level preferred and minimum
 *                        (a 4-level-only CPU must be refused)
 *   LK_DUP_REQUEST       a second HHDM request inside the markers (refused)
 *   LK_REQUIRED_MODULE   an internal module that is REQUIRED and absent (refused)
 *   LK_MP_X2APIC         the MP request asks for x2APIC
 *   LK_KEEP_IOMMU        the x86-64 keep-IOMMU request
 * From base revision 2 on, a decoy request (a second bootloader-info ID) sits
 * after the end marker: a loader honouring the markers never sees it; one that
 * does not finds a duplicate and refuses to boot. */
#include "lk_entry.h"
#include "lk_kernel.h"

#define SECTION(s) __attribute__((used, aligned(8), section(s)))
#define REQ SECTION(".lkreq.1")

SECTION(".lkreq.0start") volatile uint64_t lk_start_marker[4] = LK_START_MARKER;

#ifdef LK_NO_TAG
volatile uint64_t lk_base_revision[3];          /* no tag at all: the kernel is revision 0 */
#else
REQ volatile uint64_t lk_base_revision[3] = { LK_BASE_REV_MAGIC0, LK_BASE_REV_MAGIC1, LK_TAG_REVISION };
#endif

REQ volatile struct lk_bootloader_info_req lk_req_info = { .id = LK_ID_BOOTLOADER_INFO };
REQ volatile struct lk_exec_cmdline_req lk_req_cmdline = { .id = LK_ID_EXEC_CMDLINE };
REQ volatile struct lk_firmware_type_req lk_req_firmware = { .id = LK_ID_FIRMWARE_TYPE };
REQ volatile struct lk_stack_size_req lk_req_stack = { .id = LK_ID_STACK_SIZE, .stack_size = LK_STACK_SIZE };
REQ volatile struct lk_hhdm_req lk_req_hhdm = { .id = LK_ID_HHDM };
REQ volatile struct lk_framebuffer_req lk_req_fb = { .id = LK_ID_FRAMEBUFFER, .revision = 1 };
#ifdef LK_NEED_5LVL
REQ volatile struct lk_paging_mode_req lk_req_paging = {
    .id = LK_ID_PAGING_MODE, .revision = 1,
    .mode = LK_PAGING_5LVL, .max_mode = LK_PAGING_5LVL, .min_mode = LK_PAGING_5LVL };
#else
REQ volatile struct lk_paging_mode_req lk_req_paging = {
    .id = LK_ID_PAGING_MODE, .revision = 1,
    .mode = LK_PAGING_4LVL, .max_mode = LK_PAGING_5LVL, .min_mode = LK_PAGING_4LVL };
#endif
#ifdef LK_MP_X2APIC
REQ volatile struct lk_mp_req lk_req_mp = { .id = LK_ID_MP, .flags = LK_MP_REQ_X2APIC };
#else
REQ volatile struct lk_mp_req lk_req_mp = { .id = LK_ID_MP };
#endif
REQ volatile struct lk_memmap_req lk_req_memmap = { .id = LK_ID_MEMMAP };
REQ volatile struct lk_entry_point_req lk_req_entry = { .id = LK_ID_ENTRY_POINT, .entry = lk_entry };
REQ volatile struct lk_exec_file_req lk_req_file = { .id = LK_ID_EXEC_FILE };

/* One internal module next to the kernel (limine-tests.sh puts it there);
 * with LK_REQUIRED_MODULE a second one that is REQUIRED and never exists. */
const char lk_internal_module_path[] = "lk-internal.bin";
const char lk_internal_module_string[] = "lk-pattern 3 5000";
static struct lk_internal_module lk_internal = {
    .path = lk_internal_module_path, .string = lk_internal_module_string, .flags = 0 };
#ifdef LK_REQUIRED_MODULE
static struct lk_internal_module lk_internal_missing = {
    .path = "lk-not-there.bin", .string = "", .flags = LK_INTERNAL_MODULE_REQUIRED };
static struct lk_internal_module *lk_internal_list[] = { &lk_internal, &lk_internal_missing };
#else
static struct lk_internal_module *lk_internal_list[] = { &lk_internal };
#endif
REQ volatile struct lk_module_req lk_req_module = {
    .id = LK_ID_MODULE, .revision = 1,
    .internal_count = sizeof lk_internal_list / sizeof lk_internal_list[0],
    .internal = lk_internal_list };

REQ volatile struct lk_rsdp_req lk_req_rsdp = { .id = LK_ID_RSDP };
REQ volatile struct lk_smbios_req lk_req_smbios = { .id = LK_ID_SMBIOS };
REQ volatile struct lk_efi_system_table_req lk_req_systab = { .id = LK_ID_EFI_SYSTEM_TABLE };
REQ volatile struct lk_efi_memmap_req lk_req_efimap = { .id = LK_ID_EFI_MEMMAP };
REQ volatile struct lk_date_req lk_req_date = { .id = LK_ID_DATE_AT_BOOT };
REQ volatile struct lk_exec_address_req lk_req_addr = { .id = LK_ID_EXEC_ADDRESS };
#ifdef LK_KEEP_IOMMU
REQ volatile struct lk_keep_iommu_req lk_req_keep_iommu = { .id = LK_ID_KEEP_IOMMU };
#else
volatile struct lk_keep_iommu_req lk_req_keep_iommu;   /* not a request: never answered */
#endif
/* The HHDM ID again, 4 bytes off an 8-byte boundary: not a request (requests
 * are 8-byte aligned). A loader that scans at a finer step finds a duplicate
 * and refuses every kernel, which every boot case then shows. */
struct misaligned_id { uint32_t pad; uint64_t id[4]; uint64_t rest[2]; } __attribute__((packed));
REQ volatile struct misaligned_id lk_misaligned_hhdm = { .id = LK_ID_HHDM };

/* An ID no loader knows (common magic, two words of our own): it must get
 * no response and must not stop the boot. */
REQ volatile struct lk_bootloader_info_req lk_req_unknown = {
    .id = LK_ID(0x6c6b2d756e6b6e6fUL, 0x776e2d7265717565UL) };
#ifdef LK_DUP_REQUEST
REQ volatile struct lk_hhdm_req lk_req_hhdm_again = { .id = LK_ID_HHDM };
#endif

SECTION(".lkreq.2end") volatile uint64_t lk_end_marker[2] = LK_END_MARKER;

#if LK_BASE_REVISION >= 2
SECTION(".lkreq.3after") volatile struct lk_bootloader_info_req lk_req_decoy = { .id = LK_ID_BOOTLOADER_INFO };
#else
volatile struct lk_bootloader_info_req lk_req_decoy;   /* markers are hints: no decoy */
#endif

uint64_t lk_expected_paging_mode(void)
{
#ifdef LK_NEED_5LVL
    return LK_PAGING_5LVL;
#else
    return LK_PAGING_4LVL;
#endif
}
