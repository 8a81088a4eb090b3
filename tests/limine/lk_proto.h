/* The Limine boot protocol as the test kernels see it: request IDs, request and
 * response layouts and constants, written from PROTOCOL.md (limine-protocol,
 * base revisions 0-6) for the test side only. The loader has its own
 * declarations (include/limine_proto.h); keeping two independent copies is the
 * point: a transcription slip on either side shows up as a failing check
 * instead of agreeing by construction. x86-64 layouts only. */
#ifndef LK_PROTO_H
#define LK_PROTO_H

#include <stdint.h>

/* Every request ID starts with these two words. */
#define LK_MAGIC0 0xc7b1dd30df4c8b88UL
#define LK_MAGIC1 0x0a82e883a194f07bUL
#define LK_ID(a, b) { LK_MAGIC0, LK_MAGIC1, (a), (b) }

/* Base-revision tag {magic, magic, N}: the loader writes 0 into word 2 when it
 * supports N and (loaders supporting revision 3+) the revision it actually
 * used into word 1. */
#define LK_BASE_REV_MAGIC0 0xf9562b2d5c95a6c8UL
#define LK_BASE_REV_MAGIC1 0x6a7b384944536bdcUL

/* Requests are only honoured between the last start marker and the first end
 * marker (a hint at base revisions 0 and 1, binding from 2 on). */
#define LK_START_MARKER { 0xf6b8f4b39de7d1aeUL, 0xfab91a6940fcb9cfUL, \
                          0x785c6ed015d3e316UL, 0x181e920a7852b9d9UL }
#define LK_END_MARKER   { 0xadc0e0531bb10d03UL, 0x9572709f31764c62UL }

/* Request IDs (words 2 and 3). */
#define LK_ID_BOOTLOADER_INFO  LK_ID(0xf55038d8e2a1202fUL, 0x279426fcf5f59740UL)
#define LK_ID_EXEC_CMDLINE     LK_ID(0x4b161536e598651eUL, 0xb390ad4a2f1f303aUL)
#define LK_ID_FIRMWARE_TYPE    LK_ID(0x8c2f75d90bef28a8UL, 0x7045a4688eac00c3UL)
#define LK_ID_STACK_SIZE       LK_ID(0x224ef0460a8e8926UL, 0xe1cb0fc25f46ea3dUL)
#define LK_ID_HHDM             LK_ID(0x48dcf1cb8ad2b852UL, 0x63984e959a98244bUL)
#define LK_ID_FRAMEBUFFER      LK_ID(0x9d5827dcd881dd75UL, 0xa3148604f6fab11bUL)
#define LK_ID_PAGING_MODE      LK_ID(0x95c1a0edab0944cbUL, 0xa4e5cb3842f7488aUL)
#define LK_ID_MP               LK_ID(0x95a67b819a1b857eUL, 0xa0b61b723b6a73e0UL)
#define LK_ID_MEMMAP           LK_ID(0x67cf3d9d378a806fUL, 0xe304acdfc50c3c62UL)
#define LK_ID_ENTRY_POINT      LK_ID(0x13d86c035a1cd3e1UL, 0x2b0caa89d8f3026aUL)
#define LK_ID_EXEC_FILE        LK_ID(0xad97e90e83f1ed67UL, 0x31eb5d1c5ff23b69UL)
#define LK_ID_MODULE           LK_ID(0x3e7e279702be32afUL, 0xca1c4f3bd1280ceeUL)
#define LK_ID_RSDP             LK_ID(0xc5e77b6b397e7b43UL, 0x27637845accdcf3cUL)
#define LK_ID_SMBIOS           LK_ID(0x9e9046f11e095391UL, 0xaa4a520fefbde5eeUL)
#define LK_ID_EFI_SYSTEM_TABLE LK_ID(0x5ceba5163eaaf6d6UL, 0x0a6981610cf65fccUL)
#define LK_ID_EFI_MEMMAP       LK_ID(0x7df62a431d6872d5UL, 0xa4fcdfb3e57306c8UL)
#define LK_ID_DATE_AT_BOOT     LK_ID(0x502746e184c088aaUL, 0xfbc5ec83e6327893UL)
#define LK_ID_EXEC_ADDRESS     LK_ID(0x71ba76863cc55f63UL, 0xb2644a48c516a487UL)
#define LK_ID_KEEP_IOMMU       LK_ID(0x8ebaabe51f490179UL, 0x2aa86a59ffb4ab0fUL)   /* "x86-64 Keep IOMMU" */

/* The three words every request starts with; `response` stays NULL when the
 * loader does not serve the request. */
#define LK_REQUEST_HEAD(resp_type) \
    uint64_t id[4];                \
    uint64_t revision;             \
    resp_type *response

struct lk_resp_head { uint64_t revision; };

struct lk_bootloader_info_resp { uint64_t revision; const char *name; const char *version; };
struct lk_bootloader_info_req  { LK_REQUEST_HEAD(struct lk_bootloader_info_resp); };

struct lk_exec_cmdline_resp { uint64_t revision; const char *cmdline; };
struct lk_exec_cmdline_req  { LK_REQUEST_HEAD(struct lk_exec_cmdline_resp); };

#define LK_FIRMWARE_X86BIOS 0
#define LK_FIRMWARE_EFI32   1
#define LK_FIRMWARE_EFI64   2
struct lk_firmware_type_resp { uint64_t revision; uint64_t firmware_type; };
struct lk_firmware_type_req  { LK_REQUEST_HEAD(struct lk_firmware_type_resp); };

struct lk_stack_size_req { LK_REQUEST_HEAD(struct lk_resp_head); uint64_t stack_size; };

struct lk_hhdm_resp { uint64_t revision; uint64_t offset; };
struct lk_hhdm_req  { LK_REQUEST_HEAD(struct lk_hhdm_resp); };

#define LK_FB_RGB 1
struct lk_framebuffer {
    void *address;
    uint64_t width, height, pitch;
    uint16_t bpp;
    uint8_t memory_model;
    uint8_t red_size, red_shift, green_size, green_shift, blue_size, blue_shift;
    uint8_t unused[7];
    uint64_t edid_size;
    void *edid;
    uint64_t mode_count;            /* response revision 1 */
    void **modes;
};
struct lk_framebuffer_resp { uint64_t revision; uint64_t count; struct lk_framebuffer **fbs; };
struct lk_framebuffer_req  { LK_REQUEST_HEAD(struct lk_framebuffer_resp); };

#define LK_PAGING_4LVL 0
#define LK_PAGING_5LVL 1
struct lk_paging_mode_resp { uint64_t revision; uint64_t mode; };
struct lk_paging_mode_req {
    LK_REQUEST_HEAD(struct lk_paging_mode_resp);
    uint64_t mode;
    uint64_t max_mode;              /* request revision 1 */
    uint64_t min_mode;
};

#define LK_MP_REQ_X2APIC  (1u << 0)
#define LK_MP_RESP_X2APIC (1u << 0)
struct lk_mp_info;
typedef void (*lk_goto_address)(struct lk_mp_info *);
struct lk_mp_info {
    uint32_t processor_id;          /* ACPI processor UID (MADT) */
    uint32_t lapic_id;
    uint64_t reserved;              /* the loader's; never touched here */
    lk_goto_address goto_address;   /* atomic store releases a parked AP */
    uint64_t extra_argument;
};
struct lk_mp_resp {
    uint64_t revision;
    uint32_t flags;
    uint32_t bsp_lapic_id;
    uint64_t cpu_count;
    struct lk_mp_info **cpus;
};
struct lk_mp_req { LK_REQUEST_HEAD(struct lk_mp_resp); uint64_t flags; };

#define LK_MEM_USABLE          0
#define LK_MEM_RESERVED        1
#define LK_MEM_ACPI_RECLAIM    2
#define LK_MEM_ACPI_NVS        3
#define LK_MEM_BAD             4
#define LK_MEM_RECLAIMABLE     5    /* bootloader reclaimable */
#define LK_MEM_EXEC_MODULES    6
#define LK_MEM_FRAMEBUFFER     7
#define LK_MEM_RESERVED_MAPPED 8    /* base revision 4+ */
struct lk_memmap_entry { uint64_t base, length, type; };
struct lk_memmap_resp { uint64_t revision; uint64_t count; struct lk_memmap_entry **entries; };
struct lk_memmap_req  { LK_REQUEST_HEAD(struct lk_memmap_resp); };

struct lk_entry_point_req { LK_REQUEST_HEAD(struct lk_resp_head); void (*entry)(void); };

struct lk_uuid { uint32_t a; uint16_t b, c; uint8_t d[8]; };
struct lk_file {
    uint64_t revision;
    void *address;                  /* 4 KiB aligned */
    uint64_t size;
    const char *path;               /* leading slash */
    const char *string;
    uint32_t media_type, unused;
    uint8_t tftp_ipv4[4];
    uint32_t tftp_port, partition_index, mbr_disk_id;
    struct lk_uuid gpt_disk_uuid, gpt_part_uuid, part_uuid;
};
struct lk_exec_file_resp { uint64_t revision; struct lk_file *file; };
struct lk_exec_file_req  { LK_REQUEST_HEAD(struct lk_exec_file_resp); };

#define LK_INTERNAL_MODULE_REQUIRED (1u << 0)
struct lk_internal_module { const char *path; const char *string; uint64_t flags; };
struct lk_module_resp { uint64_t revision; uint64_t count; struct lk_file **modules; };
struct lk_module_req {
    LK_REQUEST_HEAD(struct lk_module_resp);
    uint64_t internal_count;        /* request revision 1 */
    struct lk_internal_module **internal;
};

struct lk_address_resp { uint64_t revision; uint64_t address; };   /* RSDP, EFI system table */
struct lk_rsdp_req { LK_REQUEST_HEAD(struct lk_address_resp); };
struct lk_efi_system_table_req { LK_REQUEST_HEAD(struct lk_address_resp); };

struct lk_smbios_resp { uint64_t revision; uint64_t entry_32, entry_64; };
struct lk_smbios_req  { LK_REQUEST_HEAD(struct lk_smbios_resp); };

struct lk_efi_memmap_resp {
    uint64_t revision;
    void *memmap;                   /* HHDM address */
    uint64_t memmap_size, desc_size, desc_version;
};
struct lk_efi_memmap_req { LK_REQUEST_HEAD(struct lk_efi_memmap_resp); };

struct lk_date_resp { uint64_t revision; int64_t timestamp; };
struct lk_date_req  { LK_REQUEST_HEAD(struct lk_date_resp); };

struct lk_exec_address_resp { uint64_t revision; uint64_t physical_base, virtual_base; };
struct lk_exec_address_req  { LK_REQUEST_HEAD(struct lk_exec_address_resp); };
struct lk_keep_iommu_resp { uint64_t revision; };
struct lk_keep_iommu_req  { LK_REQUEST_HEAD(struct lk_keep_iommu_resp); };

/* x86-64 entry state (PROTOCOL.md "Machine State at Entry"). */
#define LK_SEL_CODE64 0x28
#define LK_SEL_DATA64 0x30

#endif
