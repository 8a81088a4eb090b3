/* Limine requests in a loaded kernel image: the requests delimiters, the
 * base-revision tag, the requests themselves, and the base-revision
 * handshake. Pure: the image is the caller's list of views; nothing outside
 * them is read, and only limine_revision_apply / limine_req_set_response
 * write (into the views). API and contracts in include/limine_proto.h.
 *
 * Spec (limine-protocol PROTOCOL.md):
 *  - "Request": IDs are {common magic, id2, id3} on 8-byte boundaries
 *    anywhere in the loaded image; one request per ID, the loader refuses
 *    an image with the same ID twice.
 *  - "Requests Delimiters": only requests between the last start marker and
 *    the first end marker count (base revision tags included). Hints at
 *    revisions 0-1, binding from 2: a loader that supports them may honour
 *    them at every revision, which is what this file does.
 *  - "Base Revisions": tag {TAG0, TAG1, N}; word 2 set to 0 when N is
 *    supported, left unchanged otherwise; a loader serving revision 3+
 *    always stores the revision it booted into word 1.
 * Byte access goes through rd64/wr64 (little endian, any alignment of the
 * caller's buffer: only the kernel virtual address is 8-byte aligned). */
#include "limine_proto.h"

/* ---- the ID table --------------------------------------------------- */

static const struct {
    uint64_t id2, id3;
    const char *name;
} req_ids[LIMINE_REQ_KIND_COUNT] = {
    [LIMINE_REQ_UNKNOWN] = { 0, 0, "unknown" },
    [LIMINE_REQ_BOOTLOADER_INFO] = { LIMINE_ID_BOOTLOADER_INFO, "bootloader-info" },
    [LIMINE_REQ_FIRMWARE_TYPE] = { LIMINE_ID_FIRMWARE_TYPE, "firmware-type" },
    [LIMINE_REQ_STACK_SIZE] = { LIMINE_ID_STACK_SIZE, "stack-size" },
    [LIMINE_REQ_HHDM] = { LIMINE_ID_HHDM, "hhdm" },
    [LIMINE_REQ_FRAMEBUFFER] = { LIMINE_ID_FRAMEBUFFER, "framebuffer" },
    [LIMINE_REQ_PAGING_MODE] = { LIMINE_ID_PAGING_MODE, "paging-mode" },
    [LIMINE_REQ_MP] = { LIMINE_ID_MP, "mp" },
    [LIMINE_REQ_MEMMAP] = { LIMINE_ID_MEMMAP, "memmap" },
    [LIMINE_REQ_ENTRY_POINT] = { LIMINE_ID_ENTRY_POINT, "entry-point" },
    [LIMINE_REQ_EXECUTABLE_FILE] = { LIMINE_ID_EXECUTABLE_FILE, "executable-file" },
    [LIMINE_REQ_EXECUTABLE_CMDLINE] = { LIMINE_ID_EXECUTABLE_CMDLINE, "executable-cmdline" },
    [LIMINE_REQ_EXECUTABLE_ADDRESS] = { LIMINE_ID_EXECUTABLE_ADDRESS, "executable-address" },
    [LIMINE_REQ_MODULE] = { LIMINE_ID_MODULE, "module" },
    [LIMINE_REQ_RSDP] = { LIMINE_ID_RSDP, "rsdp" },
    [LIMINE_REQ_SMBIOS] = { LIMINE_ID_SMBIOS, "smbios" },
    [LIMINE_REQ_EFI_SYSTEM_TABLE] = { LIMINE_ID_EFI_SYSTEM_TABLE, "efi-system-table" },
    [LIMINE_REQ_EFI_MEMMAP] = { LIMINE_ID_EFI_MEMMAP, "efi-memmap" },
    [LIMINE_REQ_DATE_AT_BOOT] = { LIMINE_ID_DATE_AT_BOOT, "date-at-boot" },
    [LIMINE_REQ_KEEP_IOMMU] = { LIMINE_ID_KEEP_IOMMU, "x86-64-keep-iommu" },
};

enum limine_req_kind limine_req_kind_of(uint64_t id2, uint64_t id3)
{
    for (unsigned k = LIMINE_REQ_UNKNOWN + 1; k < LIMINE_REQ_KIND_COUNT; k++)
        if (req_ids[k].id2 == id2 && req_ids[k].id3 == id3)
            return (enum limine_req_kind)k;
    return LIMINE_REQ_UNKNOWN;
}

const char *limine_req_kind_name(enum limine_req_kind kind)
{
    if ((unsigned)kind >= LIMINE_REQ_KIND_COUNT)
        return req_ids[LIMINE_REQ_UNKNOWN].name;
    return req_ids[kind].name;
}

/* Request sizes by request revision (spec: each feature's "Request"):
 * paging mode grew max_mode/min_mode at revision 1, module grew the
 * internal-module list at revision 1; the others never grew. */
uint64_t limine_req_size(enum limine_req_kind kind, uint64_t revision)
{
    switch (kind) {
    case LIMINE_REQ_STACK_SIZE:
        return sizeof(struct limine_stack_size_req);
    case LIMINE_REQ_MP:
        return sizeof(struct limine_mp_req);
    case LIMINE_REQ_ENTRY_POINT:
        return sizeof(struct limine_entry_point_req);
    case LIMINE_REQ_PAGING_MODE:
        return revision == 0 ? offsetof(struct limine_paging_mode_req, max_mode)
                             : sizeof(struct limine_paging_mode_req);
    case LIMINE_REQ_MODULE:
        return revision == 0 ? LIMINE_REQ_HEAD_SIZE : sizeof(struct limine_module_req);
    default:
        return LIMINE_REQ_HEAD_SIZE;
    }
}

const char *limine_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case E_OK: return "success";
    case E_NOMEM: return "out of memory";
    case E_INVAL: return "invalid argument";
    case E_OVERLAP: return "ranges overlap";
    case E_NOTFOUND: return "not found";
    case E_CAPACITY: return "caller storage too small";
    case E_BUSY: return "already present";
    case LIMINE_E_DUPLICATE: return "a Limine request ID appears twice";
    case LIMINE_E_TRUNCATED: return "a Limine request runs past the end of its segment";
    case LIMINE_E_MARKERS: return "the requests end marker precedes the start marker";
    case LIMINE_E_BASE_TAGS: return "more than one base-revision tag";
    case LIMINE_E_REVISION: return "base revision newer than this loader serves";
    case LIMINE_E_FB_SHARED: return "a framebuffer shares a page with memory that cannot be trimmed";
    case LIMINE_E_TABLE_PLACE: return "a firmware table lies in kernel, module or framebuffer memory";
    case LIMINE_E_PAGING: return "no paging mode the kernel accepts is available on this CPU";
    default: return "unknown error";
    }
}

/* ---- byte access ------------------------------------------------------ */

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t limine_req_u64(const struct limine_req *r, uint64_t off)
{
    if (off > r->size || r->size - off < 8)
        return 0;
    return rd64(r->ptr + off);
}

void limine_req_set_response(const struct limine_req *r, uint64_t response_vaddr)
{
    wr64(r->ptr + LIMINE_REQ_OFF_RESPONSE, response_vaddr);
}

const struct limine_req *limine_scan_find(const struct limine_scan *s, enum limine_req_kind kind)
{
    if (kind == LIMINE_REQ_UNKNOWN)
        return NULL;
    for (size_t i = 0; i < s->count; i++)
        if (s->reqs[i].kind == kind)
            return &s->reqs[i];
    return NULL;
}

/* ---- walking the views ---------------------------------------------- */

/* True when `bytes` bytes at offset `off` lie inside the view. */
static bool view_has(const struct limine_view *v, uint64_t off, uint64_t bytes)
{
    return off <= v->size && v->size - off >= bytes;
}

/* The words at `off` equal pat[0 .. n). False when they do not all fit. */
static bool view_match(const struct limine_view *v, uint64_t off, const uint64_t *pat, unsigned n)
{
    if (!view_has(v, off, (uint64_t)n * 8))
        return false;
    for (unsigned i = 0; i < n; i++)
        if (rd64(v->bytes + off + 8 * i) != pat[i])
            return false;
    return true;
}

/* Offset of the first 8-byte aligned kernel address in the view. */
static uint64_t view_first(const struct limine_view *v)
{
    return (LIMINE_ALIGN - v->vaddr % LIMINE_ALIGN) % LIMINE_ALIGN;
}

/* Sorted, disjoint, non-wrapping, bytes present where size > 0. */
static bool views_valid(const struct limine_view *views, size_t n)
{
    bool have_prev = false;
    vaddr_t prev_last = 0;

    for (size_t i = 0; i < n; i++) {
        const struct limine_view *v = &views[i];

        if (v->size == 0)
            continue;
        if (v->bytes == NULL || v->size - 1 > UINT64_MAX - v->vaddr)
            return false;
        if (have_prev && v->vaddr <= prev_last)
            return false;
        prev_last = v->vaddr + (v->size - 1);
        have_prev = true;
    }
    return true;
}

static const uint64_t start_marker[LIMINE_START_MARKER_WORDS] = {
    LIMINE_START_MARKER0, LIMINE_START_MARKER1, LIMINE_START_MARKER2, LIMINE_START_MARKER3,
};
static const uint64_t end_marker[LIMINE_END_MARKER_WORDS] = {
    LIMINE_END_MARKER0, LIMINE_END_MARKER1,
};
static const uint64_t common_magic[2] = { LIMINE_MAGIC0, LIMINE_MAGIC1 };
static const uint64_t base_tag_magic[2] = { LIMINE_BASE_TAG0, LIMINE_BASE_TAG1 };

/* Pass 1: the last start marker and the first end marker in the image
 * (views are in address order, so "last"/"first" are by address). */
static int scan_markers(const struct limine_view *views, size_t n, struct limine_scan *s)
{
    vaddr_t start_at = 0, end_at = 0;

    for (size_t i = 0; i < n; i++) {
        const struct limine_view *v = &views[i];

        for (uint64_t off = view_first(v); view_has(v, off, 8); off += LIMINE_ALIGN) {
            if (view_match(v, off, start_marker, LIMINE_START_MARKER_WORDS)) {
                s->has_start = true;
                start_at = v->vaddr + off;
            }
            if (!s->has_end && view_match(v, off, end_marker, LIMINE_END_MARKER_WORDS)) {
                s->has_end = true;
                end_at = v->vaddr + off;
            }
        }
    }
    /* The window starts after the start marker's 32 bytes (which cannot
     * wrap: they lie inside a view) and ends at the end marker. */
    s->window_lo = s->has_start ? start_at + LIMINE_START_MARKER_WORDS * 8 : 0;
    s->window_hi = s->has_end ? end_at : UINT64_MAX;
    if (s->has_start && s->has_end && end_at < s->window_lo) {
        /* The spec's window would be empty (the markers are reversed):
         * refuse rather than boot a kernel none of whose requests count. */
        s->error_vaddr = end_at;
        return -LIMINE_E_MARKERS;
    }
    return 0;
}

static bool in_window(const struct limine_scan *s, vaddr_t va)
{
    return (!s->has_start || va >= s->window_lo) && (!s->has_end || va < s->window_hi);
}

static int add_base_tag(struct limine_scan *s, const struct limine_view *v, uint64_t off)
{
    vaddr_t va = v->vaddr + off;

    if (!view_has(v, off, LIMINE_BASE_TAG_WORDS * 8)) {
        s->error_vaddr = va;
        return -LIMINE_E_TRUNCATED;
    }
    if (s->has_base_tag) {
        s->error_vaddr = va;
        return -LIMINE_E_BASE_TAGS;
    }
    s->has_base_tag = true;
    s->base_tag = v->bytes + off;
    s->base_tag_vaddr = va;
    s->requested_revision = rd64(v->bytes + off + LIMINE_BASE_TAG_OFF_REQUESTED);
    return 0;
}

static int add_request(struct limine_scan *s, const struct limine_view *v, uint64_t off)
{
    vaddr_t va = v->vaddr + off;
    struct limine_req r = { .vaddr = va, .ptr = v->bytes + off };

    if (!view_has(v, off, LIMINE_REQ_HEAD_SIZE)) {
        s->error_vaddr = va;
        return -LIMINE_E_TRUNCATED;
    }
    r.id2 = rd64(r.ptr + LIMINE_REQ_OFF_ID2);
    r.id3 = rd64(r.ptr + LIMINE_REQ_OFF_ID3);
    r.revision = rd64(r.ptr + LIMINE_REQ_OFF_REVISION);
    r.kind = limine_req_kind_of(r.id2, r.id3);
    r.size = limine_req_size(r.kind, r.revision);
    if (!view_has(v, off, r.size)) {
        s->error_vaddr = va;
        return -LIMINE_E_TRUNCATED;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (s->reqs[i].id2 == r.id2 && s->reqs[i].id3 == r.id3) {
            s->dup.kind = r.kind;
            s->dup.id2 = r.id2;
            s->dup.id3 = r.id3;
            s->dup.first = s->reqs[i].vaddr;
            s->dup.second = va;
            return -LIMINE_E_DUPLICATE;
        }
    }
    if (s->count == s->capacity)
        return -E_CAPACITY;
    s->reqs[s->count++] = r;
    if (r.kind == LIMINE_REQ_UNKNOWN)
        s->unknown_count++;
    return 0;
}

/* Pass 2: tags and requests inside the window. */
static int scan_window(const struct limine_view *views, size_t n, struct limine_scan *s)
{
    for (size_t i = 0; i < n; i++) {
        const struct limine_view *v = &views[i];

        for (uint64_t off = view_first(v); view_has(v, off, 8); off += LIMINE_ALIGN) {
            int rc = 0;

            if (!in_window(s, v->vaddr + off))
                continue;
            if (view_match(v, off, base_tag_magic, 2))
                rc = add_base_tag(s, v, off);
            else if (view_match(v, off, common_magic, 2))
                rc = add_request(s, v, off);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int limine_scan(const struct limine_view *views, size_t nviews, struct limine_req *storage,
                size_t capacity, struct limine_scan *out)
{
    int rc;

    if (out == NULL)
        return -E_INVAL;
    *out = (struct limine_scan){ .reqs = storage, .capacity = capacity };
    if ((views == NULL && nviews > 0) || (storage == NULL && capacity > 0) ||
        !views_valid(views, nviews))
        return -E_INVAL;
    rc = scan_markers(views, nviews, out);
    if (rc == 0)
        rc = scan_window(views, nviews, out);
    return rc;
}

/* ---- base-revision handshake ------------------------------------------ */

int limine_revision_decide(const struct limine_scan *s, enum limine_newer_policy policy,
                           struct limine_revision *out)
{
    *out = (struct limine_revision){ .supported = true };
    if (!s->has_base_tag)
        return 0;   /* "Lack of base revision tag implies revision 0": nothing to write */

    out->has_tag = true;
    out->requested = s->requested_revision;
    if (out->requested <= LIMINE_BASE_REVISION_MAX) {
        out->booted = out->requested;
        out->write_word2 = true;   /* "must be set to 0 by the bootloader" */
        out->word2 = 0;
    } else if (policy == LIMINE_NEWER_REFUSE) {
        return -LIMINE_E_REVISION;
    } else {
        /* Boot anyway with a revision >= 3 (we pick our newest); word 2 is
         * left unchanged so the kernel's "supported" check fails. */
        out->supported = false;
        out->booted = LIMINE_BASE_REVISION_MAX;
    }
    /* Revision 3+ loaders always report the revision actually used. */
    out->write_word1 = true;
    out->word1 = out->booted;
    return 0;
}

void limine_revision_apply(const struct limine_scan *s, const struct limine_revision *r)
{
    if (!r->has_tag || !s->has_base_tag)
        return;
    if (r->write_word1)
        wr64(s->base_tag + LIMINE_BASE_TAG_OFF_LOADED, r->word1);
    if (r->write_word2)
        wr64(s->base_tag + LIMINE_BASE_TAG_OFF_REQUESTED, r->word2);
}
