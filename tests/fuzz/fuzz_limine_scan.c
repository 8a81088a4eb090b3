/* libFuzzer harness for shared/limine_scan.c: limine_scan, then the
 * base-revision handshake, on images built from the input.
 *
 * Input: 4 header bytes (vaddr misalignment, view split points, storage
 * capacity and policy), then one byte per 8-byte word of the image: a byte
 * below the table size picks an interesting word (common magic, marker and
 * tag words, request IDs, small numbers), any other byte fills the word
 * with itself. Structured images come from short inputs that way.
 *
 * Every view is its own exact-size allocation, so ASan reports a read of
 * even one byte outside the views. Checked, independently of how the
 * scanner does it:
 *  - the return code is one limine_scan may return; the views are unchanged;
 *  - on success: requests in strictly increasing address order, inside the
 *    window, inside their view for limine_req_size bytes, starting with the
 *    common magic, IDs pairwise different, unknown ones counted; and the
 *    set of request addresses equals a naive rescan's (every aligned common
 *    magic between the last start marker and the first end marker);
 *  - the handshake: after apply, a kernel reading its tag sees "supported"
 *    exactly when it asked for <= LIMINE_BASE_REVISION_MAX, and the loaded
 *    revision it reads is the one decided; nothing else in the views moved.
 * Any violation aborts.
 *
 * Build: make build/fuzz/fuzz_limine_scan
 * Run:   build/fuzz/fuzz_limine_scan -max_total_time=60 CORPUS_DIR */
#include "fuzz_common.h"
#include "limine_proto.h"

#define MAX_VIEWS 3
#define MAX_WORDS 512
#define CAP_MAX   24

static const uint64_t words[] = {
    LIMINE_MAGIC0, LIMINE_MAGIC1,
    LIMINE_START_MARKER0, LIMINE_START_MARKER1, LIMINE_START_MARKER2, LIMINE_START_MARKER3,
    LIMINE_END_MARKER0, LIMINE_END_MARKER1,
    LIMINE_BASE_TAG0, LIMINE_BASE_TAG1,
    LIMINE_ID_HHDM, LIMINE_ID_MEMMAP, LIMINE_ID_MP, LIMINE_ID_PAGING_MODE, LIMINE_ID_MODULE,
    0, 1, 2, 3, 6, 7, UINT64_MAX,
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

struct img {
    struct limine_view v[MAX_VIEWS];
    size_t n;
};

static uint64_t rd(const uint8_t *p)
{
    uint64_t x = 0;

    for (unsigned i = 0; i < 8; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

/* Word-by-word match of pat at view offset off (all inside the view). */
static bool at(const struct limine_view *v, uint64_t off, const uint64_t *pat, unsigned n)
{
    if (off + 8ULL * n > v->size)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (rd(v->bytes + off + 8 * i) != pat[i])
            return false;
    return true;
}

/* The naive rescan: the window, then every aligned common magic in it. */
static size_t naive(const struct img *im, vaddr_t *found, size_t cap, bool *reversed)
{
    static const uint64_t st[4] = { LIMINE_START_MARKER0, LIMINE_START_MARKER1,
                                    LIMINE_START_MARKER2, LIMINE_START_MARKER3 };
    static const uint64_t en[2] = { LIMINE_END_MARKER0, LIMINE_END_MARKER1 };
    static const uint64_t mg[2] = { LIMINE_MAGIC0, LIMINE_MAGIC1 };
    bool has_s = false, has_e = false;
    vaddr_t s = 0, e = 0;
    size_t n = 0;

    for (size_t i = 0; i < im->n; i++)
        for (uint64_t off = 0; off < im->v[i].size; off++) {
            if ((im->v[i].vaddr + off) % 8)
                continue;
            if (at(&im->v[i], off, st, 4))
                has_s = true, s = im->v[i].vaddr + off + 32;
            if (!has_e && at(&im->v[i], off, en, 2))
                has_e = true, e = im->v[i].vaddr + off;
        }
    *reversed = has_s && has_e && e < s;
    for (size_t i = 0; i < im->n; i++)
        for (uint64_t off = 0; off < im->v[i].size; off++) {
            vaddr_t va = im->v[i].vaddr + off;
            if (va % 8 || (has_s && va < s) || (has_e && va >= e))
                continue;
            if (at(&im->v[i], off, mg, 2) && n < cap)
                found[n++] = va;
        }
    return n;
}

static bool view_holds(const struct img *im, const struct limine_req *r)
{
    for (size_t i = 0; i < im->n; i++) {
        const struct limine_view *v = &im->v[i];
        if (r->ptr >= v->bytes && r->ptr < v->bytes + v->size)
            return r->vaddr - v->vaddr == (uint64_t)(r->ptr - v->bytes) &&
                   v->size - (uint64_t)(r->ptr - v->bytes) >= r->size;
    }
    return false;
}

static void check_success(const struct img *im, const struct limine_scan *s)
{
    vaddr_t found[MAX_WORDS];
    bool reversed;
    size_t unknown = 0, n = naive(im, found, MAX_WORDS, &reversed);

    REQUIRE(!reversed);
    REQUIRE(n == s->count);
    for (size_t i = 0; i < s->count; i++) {
        const struct limine_req *r = &s->reqs[i];

        REQUIRE(r->vaddr == found[i]);
        REQUIRE(i == 0 || s->reqs[i - 1].vaddr < r->vaddr);
        REQUIRE(view_holds(im, r));
        REQUIRE(r->size >= LIMINE_REQ_HEAD_SIZE);
        REQUIRE(rd(r->ptr) == LIMINE_MAGIC0 && rd(r->ptr + 8) == LIMINE_MAGIC1);
        REQUIRE(rd(r->ptr + 16) == r->id2 && rd(r->ptr + 24) == r->id3);
        REQUIRE(rd(r->ptr + 32) == r->revision);
        for (size_t j = 0; j < i; j++)
            REQUIRE(s->reqs[j].id2 != r->id2 || s->reqs[j].id3 != r->id3);
        unknown += r->kind == LIMINE_REQ_UNKNOWN;
    }
    REQUIRE(unknown == s->unknown_count);
}

static void check_handshake(const struct img *im, const struct limine_scan *s,
                            enum limine_newer_policy policy)
{
    struct limine_revision rev;
    uint64_t asked = s->has_base_tag ? rd(s->base_tag + 16) : 0;
    int rc = limine_revision_decide(s, policy, &rev);

    if (s->has_base_tag && asked > LIMINE_BASE_REVISION_MAX && policy == LIMINE_NEWER_REFUSE) {
        REQUIRE(rc == -LIMINE_E_REVISION);
        return;
    }
    REQUIRE(rc == 0);
    REQUIRE(rev.booted <= LIMINE_BASE_REVISION_MAX);
    if (!s->has_base_tag) {
        REQUIRE(rev.booted == 0 && !rev.write_word1 && !rev.write_word2);
        return;
    }
    limine_revision_apply(s, &rev);
    REQUIRE(rd(s->base_tag) == LIMINE_BASE_TAG0);
    REQUIRE((rd(s->base_tag + 16) == 0) == (asked <= LIMINE_BASE_REVISION_MAX || asked == 0));
    REQUIRE(rd(s->base_tag + 8) == rev.booted);
    REQUIRE(asked > LIMINE_BASE_REVISION_MAX ? rev.booted == LIMINE_BASE_REVISION_MAX
                                             : rev.booted == asked);
    (void)im;
}

static void run(const uint8_t *data, size_t size)
{
    struct img im = { .n = 0 };
    uint8_t *copies[MAX_VIEWS] = { NULL };
    struct limine_req storage[CAP_MAX];
    struct limine_scan s;

    if (size < 4)
        return;
    vaddr_t base = 0xffffffff80000000ULL + (data[0] & 7);
    size_t cap = data[2] % (CAP_MAX + 1);
    enum limine_newer_policy policy = (data[3] & 1) ? LIMINE_NEWER_BOOT_MAX : LIMINE_NEWER_REFUSE;
    size_t nw = MIN(size - 4, (size_t)MAX_WORDS);
    size_t bytes = nw * 8;
    /* Up to three views: cut points from data[1]; a gap of 8 bytes after
     * the first cut when bit 7 is set (views need not be contiguous). */
    size_t cut1 = bytes ? (data[1] & 0x3f) * bytes / 64 : 0;
    size_t cut2 = cut1 + (bytes - cut1) / 2;
    uint64_t gap = (data[1] & 0x80) ? 8 : 0;
    size_t edges[MAX_VIEWS + 1] = { 0, cut1, (data[1] & 0x40) ? cut2 : bytes, bytes };
    size_t nviews = (data[1] & 0x40) ? 3 : 2;

    uint8_t *flat = malloc(bytes ? bytes : 1);
    REQUIRE(flat != NULL);
    for (size_t i = 0; i < nw; i++) {
        uint8_t b = data[4 + i];
        uint64_t w = b < NWORDS ? words[b] : 0x0101010101010101ULL * b;
        for (unsigned k = 0; k < 8; k++)
            flat[8 * i + k] = (uint8_t)(w >> (8 * k));
    }
    for (size_t i = 0; i < nviews; i++) {
        size_t len = edges[i + 1] - edges[i];
        copies[i] = malloc(len ? len : 1);
        REQUIRE(copies[i] != NULL);
        memcpy(copies[i], flat + edges[i], len);
        im.v[im.n++] = (struct limine_view){ .vaddr = base + edges[i] + (i ? gap : 0),
                                             .bytes = copies[i], .size = len };
    }

    int rc = limine_scan(im.v, im.n, storage, cap, &s);
    REQUIRE(rc == 0 || rc == -E_CAPACITY || rc == -LIMINE_E_DUPLICATE ||
            rc == -LIMINE_E_TRUNCATED || rc == -LIMINE_E_MARKERS || rc == -LIMINE_E_BASE_TAGS);
    for (size_t i = 0; i < im.n; i++)   /* the scan wrote nothing */
        REQUIRE(memcmp(im.v[i].bytes, flat + edges[i], im.v[i].size) == 0);
    if (rc == -LIMINE_E_DUPLICATE)
        REQUIRE(s.dup.first < s.dup.second);
    if (rc == 0) {
        check_success(&im, &s);
        check_handshake(&im, &s, policy);
    }
    for (size_t i = 0; i < nviews; i++)
        free(copies[i]);
    free(flat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size);
    return 0;
}
