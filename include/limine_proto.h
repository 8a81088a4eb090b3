/* The Limine boot protocol as Pagoda's loader serves it: our own
 * declarations of the wire format (magic numbers, request IDs, request and
 * response layouts, memory-map types), written from the specification
 * (PROTOCOL.md of limine-bootloader/limine-protocol, base revisions 0-6),
 * plus the API of the pure protocol core in shared/limine_scan.c (finding
 * requests in a loaded image, the base-revision handshake),
 * shared/limine_paging.c (the paging mode) and shared/limine_memmap.c
 * (tracker -> Limine memory map, per-revision rules and direct-map
 * coverage). Design note: docs/limine.md.
 *
 * Every pointer field of the wire structures is declared uint64_t: it is an
 * address in the *kernel's* address space (HHDM or kernel-image virtual, or
 * physical where a revision says so), never a pointer the loader may
 * dereference. The layouts are fixed by the spec for x86_64 (LP64, little
 * endian); the _Static_asserts pin them. */
#ifndef PAGODA_LIMINE_PROTO_H
#define PAGODA_LIMINE_PROTO_H

#include "pmem.h"
#include "types.h"

/* ---- magic numbers (spec: "Features" / "Request", "Base Revisions",
 * "Requests Delimiters") ------------------------------------------------ */

/* id[0], id[1] of every request. */
#define LIMINE_MAGIC0 0xc7b1dd30df4c8b88ULL
#define LIMINE_MAGIC1 0x0a82e883a194f07bULL

/* Base-revision tag: {TAG0, TAG1, N}, 8-byte aligned. A loader serving
 * revision 3+ overwrites word 1 with the revision it booted and word 2 with
 * 0 when N is supported (limine_revision_decide). */
#define LIMINE_BASE_TAG0 0xf9562b2d5c95a6c8ULL
#define LIMINE_BASE_TAG1 0x6a7b384944536bdcULL
#define LIMINE_BASE_TAG_WORDS 3
#define LIMINE_BASE_TAG_OFF_LOADED    8    /* word 1: the revision booted (rev 3+ loaders) */
#define LIMINE_BASE_TAG_OFF_REQUESTED 16   /* word 2: N; 0 once accepted */

/* Requests delimiters: 4-word start marker, 2-word end marker. */
#define LIMINE_START_MARKER0 0xf6b8f4b39de7d1aeULL
#define LIMINE_START_MARKER1 0xfab91a6940fcb9cfULL
#define LIMINE_START_MARKER2 0x785c6ed015d3e316ULL
#define LIMINE_START_MARKER3 0x181e920a7852b9d9ULL
#define LIMINE_START_MARKER_WORDS 4
#define LIMINE_END_MARKER0 0xadc0e0531bb10d03ULL
#define LIMINE_END_MARKER1 0x9572709f31764c62ULL
#define LIMINE_END_MARKER_WORDS 2

/* Requests, tags and markers sit on 8-byte boundaries of the image. */
#define LIMINE_ALIGN 8

/* Base revisions this loader serves: every one specified so far. */
#define LIMINE_BASE_REVISION_MAX 6

/* Default stack size at entry when no stack-size request is present
 * (spec: "Machine State at Entry", x86-64: at least 64 KiB). */
#define LIMINE_DEFAULT_STACK_SIZE (64 * KiB)

/* ---- request kinds and their IDs (words 2 and 3) --------------------- */

/* The requests Pagoda knows. Names follow the newest spec; the older names
 * of the same IDs are in the comments. LIMINE_REQ_UNKNOWN: the common magic
 * with IDs not in this list (they get no response). */
enum limine_req_kind {
    LIMINE_REQ_UNKNOWN = 0,
    LIMINE_REQ_BOOTLOADER_INFO,
    LIMINE_REQ_FIRMWARE_TYPE,
    LIMINE_REQ_STACK_SIZE,
    LIMINE_REQ_HHDM,
    LIMINE_REQ_FRAMEBUFFER,
    LIMINE_REQ_PAGING_MODE,
    LIMINE_REQ_MP,                  /* was "SMP" */
    LIMINE_REQ_MEMMAP,
    LIMINE_REQ_ENTRY_POINT,
    LIMINE_REQ_EXECUTABLE_FILE,     /* was "kernel file" */
    LIMINE_REQ_EXECUTABLE_CMDLINE,
    LIMINE_REQ_EXECUTABLE_ADDRESS,  /* was "kernel address" */
    LIMINE_REQ_MODULE,
    LIMINE_REQ_RSDP,
    LIMINE_REQ_SMBIOS,
    LIMINE_REQ_EFI_SYSTEM_TABLE,
    LIMINE_REQ_EFI_MEMMAP,
    LIMINE_REQ_DATE_AT_BOOT,        /* was "boot time" */
    LIMINE_REQ_KEEP_IOMMU,          /* x86-64: leave the firmware's IOMMUs on */
    LIMINE_REQ_KIND_COUNT
};

#define LIMINE_ID_BOOTLOADER_INFO    0xf55038d8e2a1202fULL, 0x279426fcf5f59740ULL
#define LIMINE_ID_FIRMWARE_TYPE      0x8c2f75d90bef28a8ULL, 0x7045a4688eac00c3ULL
#define LIMINE_ID_STACK_SIZE         0x224ef0460a8e8926ULL, 0xe1cb0fc25f46ea3dULL
#define LIMINE_ID_HHDM               0x48dcf1cb8ad2b852ULL, 0x63984e959a98244bULL
#define LIMINE_ID_FRAMEBUFFER        0x9d5827dcd881dd75ULL, 0xa3148604f6fab11bULL
#define LIMINE_ID_PAGING_MODE        0x95c1a0edab0944cbULL, 0xa4e5cb3842f7488aULL
#define LIMINE_ID_MP                 0x95a67b819a1b857eULL, 0xa0b61b723b6a73e0ULL
#define LIMINE_ID_MEMMAP             0x67cf3d9d378a806fULL, 0xe304acdfc50c3c62ULL
#define LIMINE_ID_ENTRY_POINT        0x13d86c035a1cd3e1ULL, 0x2b0caa89d8f3026aULL
#define LIMINE_ID_EXECUTABLE_FILE    0xad97e90e83f1ed67ULL, 0x31eb5d1c5ff23b69ULL
#define LIMINE_ID_EXECUTABLE_CMDLINE 0x4b161536e598651eULL, 0xb390ad4a2f1f303aULL
#define LIMINE_ID_EXECUTABLE_ADDRESS 0x71ba76863cc55f63ULL, 0xb2644a48c516a487ULL
#define LIMINE_ID_MODULE             0x3e7e279702be32afULL, 0xca1c4f3bd1280ceeULL
#define LIMINE_ID_RSDP               0xc5e77b6b397e7b43ULL, 0x27637845accdcf3cULL
#define LIMINE_ID_SMBIOS             0x9e9046f11e095391ULL, 0xaa4a520fefbde5eeULL
#define LIMINE_ID_EFI_SYSTEM_TABLE   0x5ceba5163eaaf6d6ULL, 0x0a6981610cf65fccULL
#define LIMINE_ID_EFI_MEMMAP         0x7df62a431d6872d5ULL, 0xa4fcdfb3e57306c8ULL
#define LIMINE_ID_DATE_AT_BOOT       0x502746e184c088aaULL, 0xfbc5ec83e6327893ULL
#define LIMINE_ID_KEEP_IOMMU         0x8ebaabe51f490179ULL, 0x2aa86a59ffb4ab0fULL

/* ---- common request / response heads -------------------------------- */

/* Every request starts with this (spec: "Request"). `response` is written by
 * the loader (limine_req_set_response) only for requests it served. */
struct limine_req_head {
    uint64_t id[4];
    uint64_t revision;
    uint64_t response;
};
#define LIMINE_REQ_OFF_ID2      16
#define LIMINE_REQ_OFF_ID3      24
#define LIMINE_REQ_OFF_REVISION 32
#define LIMINE_REQ_OFF_RESPONSE 40
#define LIMINE_REQ_HEAD_SIZE    48
_Static_assert(sizeof(struct limine_req_head) == LIMINE_REQ_HEAD_SIZE, "request head");
_Static_assert(offsetof(struct limine_req_head, id[2]) == LIMINE_REQ_OFF_ID2, "id2");
_Static_assert(offsetof(struct limine_req_head, id[3]) == LIMINE_REQ_OFF_ID3, "id3");
_Static_assert(offsetof(struct limine_req_head, revision) == LIMINE_REQ_OFF_REVISION, "rev");
_Static_assert(offsetof(struct limine_req_head, response) == LIMINE_REQ_OFF_RESPONSE, "resp");

/* ---- requests with members past the head ----------------------------- */

struct limine_stack_size_req {
    struct limine_req_head h;
    uint64_t stack_size;
};
_Static_assert(sizeof(struct limine_stack_size_req) == 56, "stack size request");

/* Paging modes on x86-64. Request revision 0 has `mode` only; max_mode and
 * min_mode are then taken as `mode` and 4-level (spec: "Paging Mode"). */
#define LIMINE_PAGING_4LVL 0
#define LIMINE_PAGING_5LVL 1
struct limine_paging_mode_req {
    struct limine_req_head h;
    uint64_t mode;
    uint64_t max_mode;   /* request revision 1+ */
    uint64_t min_mode;   /* request revision 1+ */
};
_Static_assert(offsetof(struct limine_paging_mode_req, mode) == 48, "paging mode");
_Static_assert(sizeof(struct limine_paging_mode_req) == 72, "paging mode request");

#define LIMINE_MP_REQ_X2APIC (1ULL << 0)
struct limine_mp_req {
    struct limine_req_head h;
    uint64_t flags;
};
_Static_assert(sizeof(struct limine_mp_req) == 56, "mp request");

struct limine_entry_point_req {
    struct limine_req_head h;
    uint64_t entry;      /* kernel virtual address */
};
_Static_assert(sizeof(struct limine_entry_point_req) == 56, "entry point request");

#define LIMINE_INTERNAL_MODULE_REQUIRED   (1ULL << 0)
#define LIMINE_INTERNAL_MODULE_COMPRESSED (1ULL << 1)
struct limine_internal_module {
    uint64_t path;       /* kernel virtual address of a C string */
    uint64_t string;
    uint64_t flags;
};
_Static_assert(sizeof(struct limine_internal_module) == 24, "internal module");

struct limine_module_req {
    struct limine_req_head h;
    uint64_t internal_module_count;   /* request revision 1+ */
    uint64_t internal_modules;        /* -> array of pointers */
};
_Static_assert(sizeof(struct limine_module_req) == 64, "module request");

/* ---- responses -------------------------------------------------------- */

struct limine_bootloader_info_resp {
    uint64_t revision;
    uint64_t name;
    uint64_t version;
};
_Static_assert(sizeof(struct limine_bootloader_info_resp) == 24, "bootloader info");

#define LIMINE_FIRMWARE_X86BIOS 0
#define LIMINE_FIRMWARE_EFI32   1
#define LIMINE_FIRMWARE_EFI64   2
struct limine_firmware_type_resp {
    uint64_t revision;
    uint64_t firmware_type;
};
_Static_assert(sizeof(struct limine_firmware_type_resp) == 16, "firmware type");

struct limine_revision_only_resp {   /* stack size, entry point */
    uint64_t revision;
};

struct limine_hhdm_resp {
    uint64_t revision;
    uint64_t offset;
};
_Static_assert(sizeof(struct limine_hhdm_resp) == 16, "hhdm");

#define LIMINE_FB_MODEL_RGB 1
struct limine_video_mode {
    uint64_t pitch, width, height;
    uint16_t bpp;
    uint8_t memory_model;
    uint8_t red_mask_size, red_mask_shift;
    uint8_t green_mask_size, green_mask_shift;
    uint8_t blue_mask_size, blue_mask_shift;
};
_Static_assert(sizeof(struct limine_video_mode) == 40, "video mode");

struct limine_framebuffer {
    uint64_t address;    /* HHDM address of the pixels */
    uint64_t width, height, pitch;
    uint16_t bpp;
    uint8_t memory_model;
    uint8_t red_mask_size, red_mask_shift;
    uint8_t green_mask_size, green_mask_shift;
    uint8_t blue_mask_size, blue_mask_shift;
    uint8_t unused[7];
    uint64_t edid_size;
    uint64_t edid;
    uint64_t mode_count;  /* response revision 1+ */
    uint64_t modes;       /* -> array of pointers to limine_video_mode */
};
_Static_assert(offsetof(struct limine_framebuffer, bpp) == 32, "fb bpp");
_Static_assert(offsetof(struct limine_framebuffer, edid_size) == 48, "fb edid");
_Static_assert(sizeof(struct limine_framebuffer) == 80, "framebuffer");

struct limine_framebuffer_resp {
    uint64_t revision;
    uint64_t framebuffer_count;
    uint64_t framebuffers;   /* -> array of pointers */
};
_Static_assert(sizeof(struct limine_framebuffer_resp) == 24, "framebuffer response");

struct limine_paging_mode_resp {
    uint64_t revision;
    uint64_t mode;
};
_Static_assert(sizeof(struct limine_paging_mode_resp) == 16, "paging mode response");

/* x86-64 MP layouts. `reserved` is the loader's (the parked AP's stack). */
#define LIMINE_MP_RESP_X2APIC (1U << 0)
struct limine_mp_info {
    uint32_t processor_id;   /* ACPI processor UID */
    uint32_t lapic_id;
    uint64_t reserved;
    uint64_t goto_address;
    uint64_t extra_argument;
};
_Static_assert(offsetof(struct limine_mp_info, goto_address) == 16, "goto_address");
_Static_assert(sizeof(struct limine_mp_info) == 32, "mp info");

struct limine_mp_resp {
    uint64_t revision;
    uint32_t flags;
    uint32_t bsp_lapic_id;
    uint64_t cpu_count;
    uint64_t cpus;           /* -> array of pointers to limine_mp_info */
};
_Static_assert(sizeof(struct limine_mp_resp) == 32, "mp response");

/* Memory-map entry types (spec: "Memory Map Feature"). RESERVED_MAPPED
 * exists from base revision 4 on. */
enum limine_mem_type {
    LIMINE_MEM_USABLE = 0,
    LIMINE_MEM_RESERVED = 1,
    LIMINE_MEM_ACPI_RECLAIMABLE = 2,
    LIMINE_MEM_ACPI_NVS = 3,
    LIMINE_MEM_BAD = 4,
    LIMINE_MEM_BOOTLOADER_RECLAIMABLE = 5,
    LIMINE_MEM_EXECUTABLE_AND_MODULES = 6,
    LIMINE_MEM_FRAMEBUFFER = 7,
    LIMINE_MEM_RESERVED_MAPPED = 8,
    LIMINE_MEM_TYPE_COUNT
};

struct limine_memmap_entry {
    uint64_t base;
    uint64_t length;
    uint64_t type;           /* enum limine_mem_type */
};
_Static_assert(sizeof(struct limine_memmap_entry) == 24, "memmap entry");

struct limine_memmap_resp {
    uint64_t revision;
    uint64_t entry_count;
    uint64_t entries;        /* -> array of pointers to limine_memmap_entry */
};
_Static_assert(sizeof(struct limine_memmap_resp) == 24, "memmap response");

struct limine_uuid {
    uint32_t a;
    uint16_t b, c;
    uint8_t d[8];
};
_Static_assert(sizeof(struct limine_uuid) == 16, "uuid");

#define LIMINE_MEDIA_GENERIC 0
#define LIMINE_MEDIA_OPTICAL 1
#define LIMINE_MEDIA_TFTP    2
struct limine_file {
    uint64_t revision;
    uint64_t address;        /* HHDM address, 4 KiB aligned */
    uint64_t size;
    uint64_t path;           /* "/..." with a leading slash */
    uint64_t string;
    uint32_t media_type;
    uint32_t unused;
    uint8_t tftp_ipv4[4];
    uint32_t tftp_port;
    uint32_t partition_index;  /* 1-based; 0 = unknown */
    uint32_t mbr_disk_id;
    struct limine_uuid gpt_disk_uuid, gpt_part_uuid, part_uuid;
};
_Static_assert(offsetof(struct limine_file, media_type) == 40, "file media");
_Static_assert(offsetof(struct limine_file, gpt_disk_uuid) == 64, "file uuid");
_Static_assert(sizeof(struct limine_file) == 112, "file");

struct limine_executable_file_resp {
    uint64_t revision;
    uint64_t executable_file;  /* -> limine_file */
};
struct limine_executable_cmdline_resp {
    uint64_t revision;
    uint64_t cmdline;          /* same memory as executable_file->string */
};
struct limine_executable_address_resp {
    uint64_t revision;
    uint64_t physical_base;
    uint64_t virtual_base;
};
_Static_assert(sizeof(struct limine_executable_address_resp) == 24, "exec address");

struct limine_module_resp {
    uint64_t revision;
    uint64_t module_count;
    uint64_t modules;          /* -> array of pointers to limine_file */
};
_Static_assert(sizeof(struct limine_module_resp) == 24, "module response");

/* RSDP, SMBIOS and EFI system table addresses: physical or HHDM depending
 * on the base revision (limine_table_addr). */
struct limine_rsdp_resp {
    uint64_t revision;
    uint64_t address;
};
struct limine_smbios_resp {
    uint64_t revision;
    uint64_t entry_32;         /* 0 if absent */
    uint64_t entry_64;         /* 0 if absent */
};
_Static_assert(sizeof(struct limine_smbios_resp) == 24, "smbios");
struct limine_efi_system_table_resp {
    uint64_t revision;
    uint64_t address;
};
struct limine_efi_memmap_resp {
    uint64_t revision;
    uint64_t memmap;           /* HHDM address */
    uint64_t memmap_size;
    uint64_t desc_size;
    uint64_t desc_version;
};
_Static_assert(sizeof(struct limine_efi_memmap_resp) == 40, "efi memmap");
struct limine_date_at_boot_resp {
    uint64_t revision;
    int64_t timestamp;         /* UNIX seconds */
};
_Static_assert(sizeof(struct limine_date_at_boot_resp) == 16, "date at boot");

/* ---- errors ------------------------------------------------------------ */

/* Returned negated by limine_* functions, next to enum pagoda_err's
 * E_INVAL / E_CAPACITY (which keep their meaning). */
enum limine_err {
    LIMINE_E_DUPLICATE = 32,   /* the same request ID twice (scan->dup says which) */
    LIMINE_E_TRUNCATED,        /* a request runs past the end of its segment */
    LIMINE_E_MARKERS,          /* the first end marker precedes the last start marker */
    LIMINE_E_BASE_TAGS,        /* two base-revision tags (the reference loader refuses too) */
    LIMINE_E_REVISION,         /* requested base revision newer than LIMINE_BASE_REVISION_MAX */
    LIMINE_E_FB_SHARED,        /* a framebuffer shares a page with a type that may not be trimmed */
    LIMINE_E_TABLE_PLACE,      /* a firmware table lies in kernel, module or framebuffer memory */
    LIMINE_E_PAGING,           /* no paging mode in the kernel's [min, max] on this CPU */
};

/* Text for a negative (or positive) code from any limine_* function,
 * enum pagoda_err values included. Never NULL. */
const char *limine_strerror(int err);

/* ---- shared/limine_scan.c: requests in the loaded image --------------- */

/* A caller-provided view of one loaded segment: the kernel virtual address
 * of bytes[0] and how many bytes the scanner may read (and, for the base
 * tag and response pointers, write). Views are sorted by vaddr and do not
 * overlap; vaddr + size does not wrap. The scanner touches nothing else. */
struct limine_view {
    vaddr_t vaddr;
    uint8_t *bytes;
    uint64_t size;
};

/* One request found in the image. */
struct limine_req {
    enum limine_req_kind kind;
    uint64_t id2, id3;       /* words 2 and 3 of the ID (names unknown ones) */
    uint64_t revision;       /* the request's revision field */
    vaddr_t vaddr;           /* kernel virtual address of the request */
    uint8_t *ptr;            /* the same bytes in the caller's view */
    uint64_t size;           /* bytes the loader may access at ptr: limine_req_size */
};

/* Where the delimiters and the base-revision tag were found. */
struct limine_scan {
    struct limine_req *reqs;     /* caller storage */
    size_t count, capacity;
    size_t unknown_count;        /* reqs[] entries with LIMINE_REQ_UNKNOWN */

    bool has_start, has_end;     /* markers honoured (last start, first end) */
    vaddr_t window_lo, window_hi;/* the scanned window [lo, hi) */

    bool has_base_tag;           /* a base-revision tag in the window */
    uint64_t requested_revision; /* its N; 0 without a tag */
    uint8_t *base_tag;           /* the tag in the caller's view (write-back) */
    vaddr_t base_tag_vaddr;

    /* On -LIMINE_E_DUPLICATE: the ID found twice and both places. */
    struct {
        enum limine_req_kind kind;
        uint64_t id2, id3;
        vaddr_t first, second;
    } dup;
    /* On -LIMINE_E_TRUNCATED / -LIMINE_E_MARKERS / -LIMINE_E_BASE_TAGS:
     * the address the error is about. */
    vaddr_t error_vaddr;
};

/* Scan the views for the requests delimiters, base-revision tags and
 * requests (8-byte aligned in kernel virtual addresses), per spec
 * "Requests Delimiters": with a start marker only [last start marker's end,
 * image end) is scanned, with an end marker only [image start, first end
 * marker); both: between them. The markers are honoured at every base
 * revision (revisions 0-1 allow it: they are hints there).
 *
 * Returns 0 and fills *out (reqs in address order), or:
 *   -E_INVAL            views unsorted/overlapping/wrapping, NULL storage
 *   -E_CAPACITY         more requests than `capacity`
 *   -LIMINE_E_DUPLICATE an ID (known or unknown) twice; out->dup names it
 *   -LIMINE_E_TRUNCATED a request (limine_req_size) or tag runs past its view
 *   -LIMINE_E_MARKERS   the first end marker lies before the last start marker
 *   -LIMINE_E_BASE_TAGS more than one base-revision tag in the window
 * Reads only inside the views; writes nothing. */
int limine_scan(const struct limine_view *views, size_t nviews, struct limine_req *storage,
                size_t capacity, struct limine_scan *out);

/* Kind for ID words 2 and 3 (LIMINE_REQ_UNKNOWN if none matches). */
enum limine_req_kind limine_req_kind_of(uint64_t id2, uint64_t id3);
/* "hhdm", "executable-file", ...; "unknown" for LIMINE_REQ_UNKNOWN and
 * out-of-range values. */
const char *limine_req_kind_name(enum limine_req_kind kind);

/* Bytes of a request of `kind` at request `revision` the loader reads:
 * revisions above the highest Pagoda knows for that kind count as that
 * highest one (spec: "Request": processed as the highest supported).
 * LIMINE_REQ_HEAD_SIZE for kinds without extra members and for unknown. */
uint64_t limine_req_size(enum limine_req_kind kind, uint64_t revision);

/* Little-endian u64 at byte `off` of a found request; off + 8 <= r->size
 * is the caller's contract (checked: returns 0 when violated). */
uint64_t limine_req_u64(const struct limine_req *r, uint64_t off);
/* Store the response pointer (a kernel address) into the request. */
void limine_req_set_response(const struct limine_req *r, uint64_t response_vaddr);
/* The request of `kind` in the scan, or NULL. */
const struct limine_req *limine_scan_find(const struct limine_scan *s, enum limine_req_kind kind);

/* ---- base-revision handshake (spec: "Base Revisions") ----------------- */

/* What to do with a tag asking for a revision newer than
 * LIMINE_BASE_REVISION_MAX. The spec allows both and strongly recommends
 * refusing. */
enum limine_newer_policy {
    LIMINE_NEWER_REFUSE,      /* -LIMINE_E_REVISION */
    LIMINE_NEWER_BOOT_MAX,    /* boot LIMINE_BASE_REVISION_MAX, word 2 left unchanged */
};

/* The decision and the write-back it implies. */
struct limine_revision {
    bool has_tag;
    uint64_t requested;       /* N, or 0 without a tag */
    uint64_t booted;          /* the base revision every other rule follows */
    bool supported;           /* requested <= LIMINE_BASE_REVISION_MAX */
    /* Words to store into the tag (only when has_tag): word 1 = booted
     * (mandatory for loaders serving revision 3+, whatever was requested),
     * word 2 = 0 only when supported (left unchanged otherwise, so the
     * kernel's "supported" check ([2] == 0) fails). */
    bool write_word1, write_word2;
    uint64_t word1, word2;
};

/* Decide from a scan. Returns 0, or -LIMINE_E_REVISION (refuse policy and
 * N > LIMINE_BASE_REVISION_MAX). Pure: writes only *out. */
int limine_revision_decide(const struct limine_scan *s, enum limine_newer_policy policy,
                           struct limine_revision *out);

/* Store the decided words into the tag in the caller's view. */
void limine_revision_apply(const struct limine_scan *s, const struct limine_revision *r);

/* ---- shared/limine_paging.c: the paging mode (spec: "Paging Mode") ---- */

/* What the kernel asked: `present` false when there is no paging-mode
 * request (then mode = max = 4-level, min = 4-level). Request revision 0
 * has `mode` only: max = mode, min = 4-level. Values above 5-level in mode
 * and max_mode are read as 5-level (the newest x86-64 mode); a min_mode
 * above 5-level cannot be met. */
struct limine_paging_ask {
    bool present;
    uint64_t revision, mode, max_mode, min_mode;
};

/* The mode to enable: the preferred `mode` when the CPU has it and it lies
 * in [min, max]; otherwise the highest mode the CPU has in [min, max].
 * `cpu_la57`: CPUID.(7,0):ECX[16]. Returns 0 and *mode, or
 * -LIMINE_E_PAGING when no mode in [min, max] is available (min > max
 * included): the loader refuses to boot with a message. */
int limine_paging_decide(const struct limine_paging_ask *ask, bool cpu_la57, uint64_t *mode);

/* The ask read from a found request (or none: r == NULL). */
void limine_paging_ask_from(const struct limine_req *r, struct limine_paging_ask *ask);

/* ---- shared/limine_memmap.c: per-revision rules ----------------------- */

/* What a base revision changes on x86-64, one flag per spec statement
 * (sections cited at each field in shared/limine_memmap.c). */
struct limine_rev_rules {
    bool identity_map;          /* 0x1000..4 GiB + every region above at va == pa (rev 0) */
    bool hhdm_low_4g;           /* [0, 4 GiB) always in the HHDM (rev 0-2) */
    bool hhdm_all_types;        /* every region type in the HHDM (rev 0) */
    bool reserved_mapped_type;  /* LIMINE_MEM_RESERVED_MAPPED exists (rev 4+) */
    bool acpi_tables_mapped;    /* ACPI tables inside ACPI/RESERVED_MAPPED entries (rev 4+) */
    bool runtime_reserved_mapped; /* EFI runtime code/data reported RESERVED_MAPPED (rev 5+) */
    bool smbios_efi_mapped;     /* SMBIOS + EFI system table in RESERVED_MAPPED (rev 5+) */
    bool strict_entry_state;    /* CR0/CR4/EFER extras cleared, RFLAGS=2, null TR/LDTR/IDTR,
                                   LAPIC state, IOAPIC NMI/ExtINT masked, IOMMUs off (rev 5+) */
};
void limine_rev_rules(uint64_t rev, struct limine_rev_rules *out);

/* Physical addresses handed to the kernel in these responses are physical
 * or HHDM addresses depending on the revision. */
enum limine_table {
    LIMINE_TABLE_RSDP,
    LIMINE_TABLE_SMBIOS,          /* entry_32 and entry_64 */
    LIMINE_TABLE_EFI_SYSTEM_TABLE,
};
bool limine_table_is_physical(enum limine_table t, uint64_t rev);
/* The value to store: pa, or pa + hhdm_offset; 0 stays 0 (absent). */
uint64_t limine_table_addr(enum limine_table t, uint64_t rev, paddr_t pa, uint64_t hhdm_offset);

/* Limine type of a tracker type at a revision (spec: "EFI Memory Map Entry
 * Type to Limine Memory Map Type", and Pagoda's own types: see
 * docs/limine.md). Executable and modules must be tracked as
 * PMEM_KERNEL_IMAGE; everything else the loader allocates for the kernel
 * (page tables, stacks, responses, AP trampoline) becomes bootloader
 * reclaimable. */
enum limine_mem_type limine_mem_type_of(enum pmem_type t, uint64_t rev);
const char *limine_mem_type_name(enum limine_mem_type t);

/* A byte range of a firmware table the map must show in a mapped type:
 * ACPI tables at rev 4+, SMBIOS and the EFI system table (with what it
 * references) at rev 5+. */
enum limine_table_class { LIMINE_TC_ACPI, LIMINE_TC_SMBIOS, LIMINE_TC_EFI };
struct limine_table_range {
    paddr_t base;
    uint64_t length;
    enum limine_table_class cls;
};

/* A framebuffer's exact bytes (GOP base, pitch * height). */
struct limine_fb_range {
    paddr_t base;
    uint64_t length;
};

struct limine_memmap_input {
    const struct pmem *pm;                 /* the tracker, final (after every allocation) */
    uint64_t rev;                          /* booted base revision */
    const struct limine_table_range *tables;
    size_t ntables;
    const struct limine_fb_range *fbs;
    size_t nfbs;
};

/* Build the Limine memory map into out[0 .. cap): sorted by base, every
 * entry page-aligned and disjoint (so usable and bootloader-reclaimable
 * ones never overlap anything), touching entries of one type merged, page
 * 0 never usable, framebuffer pages FRAMEBUFFER with usable/reserved pages
 * sharing them trimmed, table pages of in->tables shown RESERVED_MAPPED
 * when the revision asks (unless already ACPI reclaimable/NVS). Gaps of the
 * tracker stay gaps, except framebuffer and table pages there, which get
 * entries of their own.
 * Returns 0 and *n, or -E_CAPACITY (out[] then holds an unusable prefix),
 * -E_INVAL (bad tracker or range),
 * -LIMINE_E_FB_SHARED (a framebuffer page holds another type than usable,
 * reserved or framebuffer: the spec's "not permitted"),
 * -LIMINE_E_TABLE_PLACE (a table page is executable/module/framebuffer/bad).
 * Writes only out[] and *n. */
int limine_memmap_build(const struct limine_memmap_input *in, struct limine_memmap_entry *out,
                        size_t cap, size_t *n);

/* An upper bound on the entries limine_memmap_build can produce for a
 * tracker of up to `tracker_entries` entries and these overlays: every
 * entry starts at a tracker entry's base or end, an overlay's rounded base
 * or end, or at 0x1000 (page 0 split off). Storage of this size, allocated
 * before ExitBootServices for the tracker's capacity, makes the final
 * build unable to fail for capacity. */
size_t limine_memmap_max_entries(size_t tracker_entries, size_t nfbs, size_t ntables);

/* ---- direct-map coverage ------------------------------------------------ */

#define LIMINE_LOW_4G (4 * GiB)

enum limine_cache { LIMINE_CACHE_WB, LIMINE_CACHE_WC };

/* A physical range the HHDM maps (HHDM base + pa -> pa, rwx, supervisor),
 * page-aligned, with its caching (PAT0 = WB, PAT5 = WC for framebuffers). */
struct limine_map_range {
    paddr_t base, end;
    enum limine_cache cache;
};

/* Does the HHDM at `rev` cover regions of type t (outside the low 4 GiB
 * block of rev 0-2)? (spec: "Memory Layout at Entry") */
bool limine_hhdm_covers(enum limine_mem_type t, uint64_t rev);

/* The ranges the HHDM must map for a memory map built by
 * limine_memmap_build at `rev`: sorted, disjoint, page-aligned, touching
 * ranges of one cache merged; framebuffer entries WC, the rest WB; at rev
 * 0-2 [0, 4 GiB) whole (WB except framebuffer pages). At rev 0 the identity
 * map is the same set without page 0 (limine_rev_rules.identity_map).
 * Returns 0 and *n, -E_CAPACITY, or -E_INVAL (map not sorted/aligned). */
int limine_hhdm_plan(const struct limine_memmap_entry *map, size_t nmap, uint64_t rev,
                     struct limine_map_range *out, size_t cap, size_t *n);

#endif
