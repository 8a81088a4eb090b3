/* Host tests for shared/limine_scan.c: finding Limine requests in a loaded
 * image and the base-revision handshake.
 *
 * Each row of test_scan_rows builds an image (one or two views) from a
 * short list of items placed at byte offsets, scans it and checks the
 * return code, the kinds found (in address order), the window and the tag.
 * The magic numbers below are written out again from the spec's text, not
 * taken from include/limine_proto.h, so a wrong constant in the header
 * fails here instead of agreeing with itself.
 *
 *   image:  | req A | START | req B | tag | END | req C |
 *   counted:           ^^^^^^^^^^^^^^^^^^^^         (A and C are outside)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "limine_proto.h"

/* From PROTOCOL.md ("Request", "Requests Delimiters", "Base Revisions",
 * each feature's ID). */
#define SPEC_MAGIC_A 0xc7b1dd30df4c8b88ULL
#define SPEC_MAGIC_B 0x0a82e883a194f07bULL
static const uint64_t spec_start[4] = { 0xf6b8f4b39de7d1aeULL, 0xfab91a6940fcb9cfULL,
                                        0x785c6ed015d3e316ULL, 0x181e920a7852b9d9ULL };
static const uint64_t spec_end[2] = { 0xadc0e0531bb10d03ULL, 0x9572709f31764c62ULL };
static const uint64_t spec_tag[2] = { 0xf9562b2d5c95a6c8ULL, 0x6a7b384944536bdcULL };

static const struct {
    enum limine_req_kind kind;
    uint64_t id2, id3;
} spec_ids[] = {
    { LIMINE_REQ_BOOTLOADER_INFO, 0xf55038d8e2a1202fULL, 0x279426fcf5f59740ULL },
    { LIMINE_REQ_FIRMWARE_TYPE, 0x8c2f75d90bef28a8ULL, 0x7045a4688eac00c3ULL },
    { LIMINE_REQ_STACK_SIZE, 0x224ef0460a8e8926ULL, 0xe1cb0fc25f46ea3dULL },
    { LIMINE_REQ_HHDM, 0x48dcf1cb8ad2b852ULL, 0x63984e959a98244bULL },
    { LIMINE_REQ_FRAMEBUFFER, 0x9d5827dcd881dd75ULL, 0xa3148604f6fab11bULL },
    { LIMINE_REQ_PAGING_MODE, 0x95c1a0edab0944cbULL, 0xa4e5cb3842f7488aULL },
    { LIMINE_REQ_MP, 0x95a67b819a1b857eULL, 0xa0b61b723b6a73e0ULL },
    { LIMINE_REQ_MEMMAP, 0x67cf3d9d378a806fULL, 0xe304acdfc50c3c62ULL },
    { LIMINE_REQ_ENTRY_POINT, 0x13d86c035a1cd3e1ULL, 0x2b0caa89d8f3026aULL },
    { LIMINE_REQ_EXECUTABLE_FILE, 0xad97e90e83f1ed67ULL, 0x31eb5d1c5ff23b69ULL },
    { LIMINE_REQ_EXECUTABLE_CMDLINE, 0x4b161536e598651eULL, 0xb390ad4a2f1f303aULL },
    { LIMINE_REQ_EXECUTABLE_ADDRESS, 0x71ba76863cc55f63ULL, 0xb2644a48c516a487ULL },
    { LIMINE_REQ_MODULE, 0x3e7e279702be32afULL, 0xca1c4f3bd1280ceeULL },
    { LIMINE_REQ_RSDP, 0xc5e77b6b397e7b43ULL, 0x27637845accdcf3cULL },
    { LIMINE_REQ_SMBIOS, 0x9e9046f11e095391ULL, 0xaa4a520fefbde5eeULL },
    { LIMINE_REQ_EFI_SYSTEM_TABLE, 0x5ceba5163eaaf6d6ULL, 0x0a6981610cf65fccULL },
    { LIMINE_REQ_EFI_MEMMAP, 0x7df62a431d6872d5ULL, 0xa4fcdfb3e57306c8ULL },
    { LIMINE_REQ_DATE_AT_BOOT, 0x502746e184c088aaULL, 0xfbc5ec83e6327893ULL },
    { LIMINE_REQ_KEEP_IOMMU, 0x8ebaabe51f490179ULL, 0x2aa86a59ffb4ab0fULL },
};

/* IDs used by the rows (index into spec_ids), plus two unknown ones: the
 * old (pre-3.0) framebuffer ID and the old 5-level-paging ID. */
enum { HHDM = 3, FB = 4, PAGING = 5, MP = 6, MEMMAP = 7, MODULE = 12, UNK1 = 100, UNK2 = 101 };
static const uint64_t unknown_ids[2][2] = {
    { 0xcbfe81d7dd2d1977ULL, 0x063150319ebc9b71ULL },
    { 0x94469551da9b3192ULL, 0xebe5e86db7382888ULL },
};

#define KBASE 0xffffffff80000000ULL
#define IMG   1024

enum item_kind { IT_NONE, IT_START, IT_END, IT_TAG, IT_REQ };
struct item {
    enum item_kind k;
    uint64_t off;
    int id;           /* IT_REQ: spec_ids index or UNK1/UNK2 */
    uint64_t val;     /* IT_REQ: revision; IT_TAG: N */
};

static void put64(uint8_t *img, uint64_t off, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void place(uint8_t *img, const struct item *it)
{
    switch (it->k) {
    case IT_START:
        for (unsigned i = 0; i < 4; i++)
            put64(img, it->off + 8 * i, spec_start[i]);
        break;
    case IT_END:
        for (unsigned i = 0; i < 2; i++)
            put64(img, it->off + 8 * i, spec_end[i]);
        break;
    case IT_TAG:
        put64(img, it->off, spec_tag[0]);
        put64(img, it->off + 8, spec_tag[1]);
        put64(img, it->off + 16, it->val);
        break;
    case IT_REQ: {
        const uint64_t *id = it->id >= UNK1 ? unknown_ids[it->id - UNK1]
                                            : &spec_ids[it->id].id2;
        put64(img, it->off, SPEC_MAGIC_A);
        put64(img, it->off + 8, SPEC_MAGIC_B);
        put64(img, it->off + 16, id[0]);
        put64(img, it->off + 24, it->id >= UNK1 ? id[1] : spec_ids[it->id].id3);
        put64(img, it->off + 32, it->val);
        break;
    }
    case IT_NONE:
        break;
    }
}

#define MAX_ITEMS 8
#define MAX_KINDS 6

struct row {
    const char *what;
    struct item items[MAX_ITEMS];
    uint64_t vaddr;       /* of image byte 0 */
    uint64_t size;        /* image bytes in views (<= IMG) */
    uint64_t split;       /* != 0: two views [0, split) and [split, size) */
    size_t cap;
    int rc;
    size_t count;
    int kinds[MAX_KINDS]; /* spec_ids index or UNK1/UNK2, in order */
    bool tag;
    uint64_t tag_n;
    uint64_t err_off;     /* expected error_vaddr - vaddr for the address-carrying errors */
};

static void check_row(const struct row *r)
{
    static uint8_t img[IMG];
    struct limine_req storage[16];
    struct limine_view views[2];
    struct limine_scan s;
    size_t nviews = 1;

    memset(img, 0x5a, sizeof(img));   /* no zero words: nothing matches by accident */
    for (size_t i = 0; i < MAX_ITEMS; i++)
        place(img, &r->items[i]);
    views[0] = (struct limine_view){ .vaddr = r->vaddr, .bytes = img, .size = r->size };
    if (r->split) {
        views[0].size = r->split;
        views[1] = (struct limine_view){ .vaddr = r->vaddr + r->split, .bytes = img + r->split,
                                         .size = r->size - r->split };
        nviews = 2;
    }
    int rc = limine_scan(views, nviews, storage, r->cap, &s);
    if (rc != r->rc)
        fail_msg("%s: rc %d (%s), want %d", r->what, rc, limine_strerror(rc), r->rc);
    if (rc == -LIMINE_E_TRUNCATED || rc == -LIMINE_E_MARKERS || rc == -LIMINE_E_BASE_TAGS) {
        if (s.error_vaddr != r->vaddr + r->err_off)
            fail_msg("%s: error at +%#llx, want +%#llx", r->what,
                     (unsigned long long)(s.error_vaddr - r->vaddr),
                     (unsigned long long)r->err_off);
    }
    if (rc != 0)
        return;
    if (s.count != r->count)
        fail_msg("%s: %zu requests, want %zu", r->what, s.count, r->count);
    size_t unknown = 0;
    for (size_t i = 0; i < s.count; i++) {
        int want = r->kinds[i];
        enum limine_req_kind kind = want >= UNK1 ? LIMINE_REQ_UNKNOWN : spec_ids[want].kind;
        if (s.reqs[i].kind != kind)
            fail_msg("%s: request %zu is %s, want %s", r->what, i,
                     limine_req_kind_name(s.reqs[i].kind), limine_req_kind_name(kind));
        /* The pointer and address name the same bytes. */
        assert_ptr_equal(s.reqs[i].ptr, img + (s.reqs[i].vaddr - r->vaddr));
        assert_int_equal(get64(s.reqs[i].ptr), SPEC_MAGIC_A);
        unknown += kind == LIMINE_REQ_UNKNOWN;
    }
    assert_int_equal(s.unknown_count, unknown);
    if (s.has_base_tag != r->tag)
        fail_msg("%s: tag %d, want %d", r->what, s.has_base_tag, r->tag);
    if (r->tag)
        assert_int_equal(s.requested_revision, r->tag_n);
}

#define REQ(o, i, rev) { IT_REQ, (o), (i), (rev) }
#define TAG(o, n)      { IT_TAG, (o), 0, (n) }
#define START(o)       { IT_START, (o), 0, 0 }
#define END(o)         { IT_END, (o), 0, 0 }

static void test_scan_rows(void **state)
{
    static const struct row rows[] = {
        { "empty image", { { 0 } }, KBASE, IMG, 0, 8, 0, 0, { 0 }, false, 0, 0 },
        { "three known and one unknown request, no markers",
          { REQ(0, HHDM, 0), REQ(64, MEMMAP, 0), REQ(128, UNK1, 0), REQ(256, FB, 1) },
          KBASE, IMG, 0, 8, 0, 4, { HHDM, MEMMAP, UNK1, FB }, false, 0, 0 },
        { "same known ID twice",
          { REQ(0, HHDM, 0), REQ(64, MEMMAP, 0), REQ(512, HHDM, 0) },
          KBASE, IMG, 0, 8, -LIMINE_E_DUPLICATE, 0, { 0 }, false, 0, 0 },
        { "same unknown ID twice",
          { REQ(0, UNK2, 0), REQ(128, UNK2, 0) },
          KBASE, IMG, 0, 8, -LIMINE_E_DUPLICATE, 0, { 0 }, false, 0, 0 },
        { "start and end: only the requests between count, a duplicate outside is ignored",
          { REQ(0, HHDM, 0), START(64), REQ(96, HHDM, 0), TAG(160, 3), END(200),
            REQ(256, MEMMAP, 0), REQ(320, MEMMAP, 0) },
          KBASE, IMG, 0, 8, 0, 1, { HHDM }, true, 3, 0 },
        { "end marker only: from the image start to it",
          { REQ(0, HHDM, 0), REQ(64, MP, 0), END(128), REQ(256, MEMMAP, 0) },
          KBASE, IMG, 0, 8, 0, 2, { HHDM, MP }, false, 0, 0 },
        { "start marker only: from it to the image end",
          { REQ(0, HHDM, 0), START(64), REQ(96, MEMMAP, 0), TAG(512, 6) },
          KBASE, IMG, 0, 8, 0, 1, { MEMMAP }, true, 6, 0 },
        { "two start markers: the last one counts",
          { START(0), REQ(32, HHDM, 0), START(96), REQ(128, MEMMAP, 0), END(256) },
          KBASE, IMG, 0, 8, 0, 1, { MEMMAP }, false, 0, 0 },
        { "two end markers: the first one counts",
          { START(0), REQ(32, HHDM, 0), END(96), REQ(128, MEMMAP, 0), END(256) },
          KBASE, IMG, 0, 8, 0, 1, { HHDM }, false, 0, 0 },
        { "end marker before the start marker: refused",
          { END(0), REQ(32, HHDM, 0), START(96), REQ(128, MEMMAP, 0) },
          KBASE, IMG, 0, 8, -LIMINE_E_MARKERS, 0, { 0 }, false, 0, 0 },
        { "tag outside the window is not the kernel's",
          { TAG(0, 2), START(64), REQ(96, HHDM, 0), END(160) },
          KBASE, IMG, 0, 8, 0, 1, { HHDM }, false, 0, 0 },
        { "two tags: refused",
          { TAG(0, 2), TAG(64, 2), REQ(96, HHDM, 0) },
          KBASE, IMG, 0, 8, -LIMINE_E_BASE_TAGS, 0, { 0 }, false, 0, 64 },
        { "request on a 4-byte boundary is not a request",
          { REQ(4, HHDM, 0), REQ(64, MEMMAP, 0) },
          KBASE, IMG, 0, 8, 0, 1, { MEMMAP }, false, 0, 0 },
        { "view at vaddr = 4 mod 8: aligned means aligned in kernel addresses",
          { REQ(4, HHDM, 0), REQ(64, MEMMAP, 0) },
          KBASE + 4, IMG, 0, 8, 0, 1, { HHDM }, false, 0, 0 },
        { "request head cut by the view end",
          { REQ(IMG - 48, HHDM, 0) }, KBASE, IMG - 8, 0, 8, -LIMINE_E_TRUNCATED, 0, { 0 },
          false, 0, IMG - 48 },
        { "MP request needs 56 bytes, 48 left",
          { REQ(IMG - 48, MP, 0) }, KBASE, IMG, 0, 8, -LIMINE_E_TRUNCATED, 0, { 0 }, false, 0,
          IMG - 48 },
        { "paging mode revision 0 fits in 56 bytes",
          { REQ(IMG - 56, PAGING, 0) }, KBASE, IMG, 0, 8, 0, 1, { PAGING }, false, 0, 0 },
        { "paging mode revision 1 needs 72",
          { REQ(IMG - 56, PAGING, 1) }, KBASE, IMG, 0, 8, -LIMINE_E_TRUNCATED, 0, { 0 },
          false, 0, IMG - 56 },
        { "paging mode revision 9 is read as revision 1 (72 bytes)",
          { REQ(IMG - 72, PAGING, 9) }, KBASE, IMG, 0, 8, 0, 1, { PAGING }, false, 0, 0 },
        { "module revision 1 needs 64 bytes",
          { REQ(IMG - 56, MODULE, 1) }, KBASE, IMG, 0, 8, -LIMINE_E_TRUNCATED, 0, { 0 },
          false, 0, IMG - 56 },
        { "tag cut by the view end",
          { TAG(IMG - 24, 2) }, KBASE, IMG - 8, 0, 8, -LIMINE_E_TRUNCATED, 0, { 0 }, false, 0,
          IMG - 24 },
        { "more requests than storage",
          { REQ(0, HHDM, 0), REQ(64, MEMMAP, 0), REQ(128, FB, 0) },
          KBASE, IMG, 0, 2, -E_CAPACITY, 0, { 0 }, false, 0, 0 },
        { "two views: requests in both; markers across views",
          { START(0), REQ(64, HHDM, 0), REQ(600, MEMMAP, 0), END(800) },
          KBASE, IMG, 512, 8, 0, 2, { HHDM, MEMMAP }, false, 0, 0 },
        { "a request split by a view boundary is truncated",
          { REQ(496, HHDM, 0) }, KBASE, IMG, 512, 8, -LIMINE_E_TRUNCATED, 0, { 0 }, false, 0,
          496 },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_row(&rows[i]);
}

/* The duplicate error names the ID and both places. */
static void test_duplicate_names_id(void **state)
{
    static uint8_t img[256];
    struct limine_req storage[4];
    struct limine_scan s;
    const struct item a = REQ(8, MP, 0), b = REQ(136, MP, 0);
    (void)state;

    memset(img, 0, sizeof(img));
    place(img, &a);
    place(img, &b);
    struct limine_view v = { .vaddr = KBASE, .bytes = img, .size = sizeof(img) };
    assert_int_equal(limine_scan(&v, 1, storage, 4, &s), -LIMINE_E_DUPLICATE);
    assert_int_equal(s.dup.kind, LIMINE_REQ_MP);
    assert_int_equal(s.dup.id2, spec_ids[MP].id2);
    assert_int_equal(s.dup.id3, spec_ids[MP].id3);
    assert_int_equal(s.dup.first, KBASE + 8);
    assert_int_equal(s.dup.second, KBASE + 136);
}

static void test_bad_views(void **state)
{
    static uint8_t img[64];
    struct limine_req storage[1];
    struct limine_scan s;
    (void)state;

    struct limine_view overlap[2] = { { KBASE, img, 32 }, { KBASE + 16, img + 16, 32 } };
    struct limine_view unsorted[2] = { { KBASE + 32, img + 32, 32 }, { KBASE, img, 32 } };
    struct limine_view wraps = { UINT64_MAX - 15, img, 32 };
    struct limine_view to_top = { UINT64_MAX - 31, img, 32 };   /* last byte at 2^64 - 1: fine */
    struct limine_view no_bytes = { KBASE, NULL, 32 };
    struct limine_view empty_null = { KBASE, NULL, 0 };

    assert_int_equal(limine_scan(overlap, 2, storage, 1, &s), -E_INVAL);
    assert_int_equal(limine_scan(unsorted, 2, storage, 1, &s), -E_INVAL);
    assert_int_equal(limine_scan(&wraps, 1, storage, 1, &s), -E_INVAL);
    assert_int_equal(limine_scan(&no_bytes, 1, storage, 1, &s), -E_INVAL);
    memset(img, 0, sizeof(img));
    assert_int_equal(limine_scan(&to_top, 1, storage, 1, &s), 0);
    assert_int_equal(limine_scan(&empty_null, 1, storage, 1, &s), 0);
    assert_int_equal(limine_scan(NULL, 0, NULL, 0, &s), 0);
}

/* Every ID the spec lists maps to its kind, with a name of its own. */
static void test_ids(void **state)
{
    (void)state;
    assert_int_equal(ARRAY_LEN(spec_ids), LIMINE_REQ_KIND_COUNT - 1);
    for (size_t i = 0; i < ARRAY_LEN(spec_ids); i++) {
        assert_int_equal(limine_req_kind_of(spec_ids[i].id2, spec_ids[i].id3), spec_ids[i].kind);
        /* Swapped halves are not the same ID. */
        assert_int_equal(limine_req_kind_of(spec_ids[i].id3, spec_ids[i].id2),
                         LIMINE_REQ_UNKNOWN);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(limine_req_kind_name(spec_ids[i].kind),
                                    limine_req_kind_name(spec_ids[j].kind));
    }
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(limine_req_kind_of(unknown_ids[i][0], unknown_ids[i][1]),
                         LIMINE_REQ_UNKNOWN);
    assert_string_equal(limine_req_kind_name(LIMINE_REQ_KIND_COUNT), "unknown");
}

/* ---- base-revision handshake -------------------------------------------- */

/* What a kernel built against the spec concludes from its tag after boot
 * ("Base Revisions": supported iff word 2 == 0; the loaded revision is
 * valid iff word 1 no longer holds the magic, and is word 1). */
struct kernel_view {
    bool supported, loaded_valid;
    uint64_t loaded;
};

static struct kernel_view kernel_reads(const uint8_t *tag)
{
    return (struct kernel_view){
        .supported = get64(tag + 16) == 0,
        .loaded_valid = get64(tag + 8) != spec_tag[1],
        .loaded = get64(tag + 8),
    };
}

static void test_revision_rows(void **state)
{
    static const struct {
        const char *what;
        bool tag;
        uint64_t n;
        enum limine_newer_policy policy;
        int rc;
        uint64_t booted;
        struct kernel_view kernel;   /* after apply (tag rows only) */
    } rows[] = {
        { "no tag: revision 0, nothing written", false, 0, LIMINE_NEWER_REFUSE, 0, 0,
          { 0 } },
        { "revision 0 asked", true, 0, LIMINE_NEWER_REFUSE, 0, 0, { true, true, 0 } },
        { "revision 2 asked", true, 2, LIMINE_NEWER_REFUSE, 0, 2, { true, true, 2 } },
        { "revision 3 asked", true, 3, LIMINE_NEWER_REFUSE, 0, 3, { true, true, 3 } },
        { "revision 6 asked", true, 6, LIMINE_NEWER_REFUSE, 0, 6, { true, true, 6 } },
        { "revision 7 asked, refuse", true, 7, LIMINE_NEWER_REFUSE, -LIMINE_E_REVISION, 0,
          { false, false, 0 } },
        { "revision 7 asked, boot the newest: not supported, loaded 6", true, 7,
          LIMINE_NEWER_BOOT_MAX, 0, 6, { false, true, 6 } },
        { "revision 2^64-1 asked, boot the newest", true, UINT64_MAX, LIMINE_NEWER_BOOT_MAX, 0,
          6, { false, true, 6 } },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        static uint8_t img[128];
        struct limine_req storage[2];
        struct limine_scan s;
        struct limine_revision rev;
        const struct item tag = TAG(32, rows[i].n);

        memset(img, 0, sizeof(img));
        if (rows[i].tag)
            place(img, &tag);
        uint8_t before[sizeof(img)];
        memcpy(before, img, sizeof(img));
        struct limine_view v = { .vaddr = KBASE, .bytes = img, .size = sizeof(img) };
        assert_int_equal(limine_scan(&v, 1, storage, 2, &s), 0);
        int rc = limine_revision_decide(&s, rows[i].policy, &rev);
        if (rc != rows[i].rc)
            fail_msg("%s: rc %d, want %d", rows[i].what, rc, rows[i].rc);
        if (rc != 0) {
            assert_memory_equal(img, before, sizeof(img));
            continue;
        }
        assert_int_equal(rev.booted, rows[i].booted);
        limine_revision_apply(&s, &rev);
        if (!rows[i].tag) {
            assert_memory_equal(img, before, sizeof(img));
            continue;
        }
        struct kernel_view k = kernel_reads(img + 32);
        if (k.supported != rows[i].kernel.supported || k.loaded_valid != rows[i].kernel.loaded_valid ||
            k.loaded != rows[i].kernel.loaded)
            fail_msg("%s: kernel sees supported=%d valid=%d loaded=%llu", rows[i].what,
                     k.supported, k.loaded_valid, (unsigned long long)k.loaded);
        /* Word 0 is never touched; nothing outside the tag either. */
        assert_int_equal(get64(img + 32), spec_tag[0]);
        assert_memory_equal(img, before, 40);
        assert_memory_equal(img + 56, before + 56, sizeof(img) - 56);
    }
}

/* ---- access to found requests ------------------------------------------ */

static void test_request_access(void **state)
{
    static uint8_t img[256];
    struct limine_req storage[4];
    struct limine_scan s;
    const struct item pm = REQ(64, PAGING, 1);
    (void)state;

    memset(img, 0, sizeof(img));
    place(img, &pm);
    put64(img, 64 + 48, 1);   /* mode: 5-level */
    put64(img, 64 + 56, 1);   /* max_mode */
    put64(img, 64 + 64, 0);   /* min_mode */
    struct limine_view v = { .vaddr = KBASE + 0x1000, .bytes = img, .size = sizeof(img) };
    assert_int_equal(limine_scan(&v, 1, storage, 4, &s), 0);
    const struct limine_req *r = limine_scan_find(&s, LIMINE_REQ_PAGING_MODE);
    assert_non_null(r);
    assert_null(limine_scan_find(&s, LIMINE_REQ_HHDM));
    assert_null(limine_scan_find(&s, LIMINE_REQ_UNKNOWN));
    assert_int_equal(r->vaddr, KBASE + 0x1000 + 64);
    assert_int_equal(r->revision, 1);
    assert_int_equal(r->size, 72);
    assert_int_equal(limine_req_u64(r, offsetof(struct limine_paging_mode_req, mode)), 1);
    assert_int_equal(limine_req_u64(r, offsetof(struct limine_paging_mode_req, max_mode)), 1);
    assert_int_equal(limine_req_u64(r, 72), 0);   /* past the request: refused */
    assert_int_equal(limine_req_u64(r, UINT64_MAX), 0);

    limine_req_set_response(r, 0xffff800000123000ULL);
    assert_int_equal(get64(img + 64 + 40), 0xffff800000123000ULL);
    assert_int_equal(get64(img + 64 + 32), 1);   /* revision untouched */
}

static void test_strerror(void **state)
{
    (void)state;
    for (int e = LIMINE_E_DUPLICATE; e <= LIMINE_E_PAGING; e++) {
        assert_string_not_equal(limine_strerror(-e), "unknown error");
        assert_string_equal(limine_strerror(-e), limine_strerror(e));
    }
    assert_string_equal(limine_strerror(-E_CAPACITY), "caller storage too small");
    assert_string_equal(limine_strerror(-9999), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_rows),
        cmocka_unit_test(test_duplicate_names_id),
        cmocka_unit_test(test_bad_views),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_revision_rows),
        cmocka_unit_test(test_request_access),
        cmocka_unit_test(test_strerror),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
