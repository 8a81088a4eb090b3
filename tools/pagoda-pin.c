/* pagoda-pin: enroll a pagoda.conf's SHA-256 into BOOTX64.EFI's config pin
 * (include/pin.h), in place, before the loader is signed: the signature
 * then covers the pin, and under Secure Boot the loader accepts that
 * config file and no other (docs/secure-boot.md).
 *
 *   pagoda-pin BOOTX64.EFI pagoda.conf   enroll the file's hash
 *   pagoda-pin BOOTX64.EFI --show        print the pin (or "none")
 *
 * Refuses an image that is already signed (a certificate table is present):
 * writing the pin would break that signature; pin first, then sign. The
 * hash is shared/sha256.c's, the loader's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pin.h"
#include "host_file.h"

#define PE_OFFSET_FIELD   0x3c
#define COFF_HEADER_SIZE  20
#define OPT_MAGIC_PE32P   0x20b
#define OPT_NUM_DIRS      108      /* PE32+: NumberOfRvaAndSizes */
#define OPT_DIRS          112      /* PE32+: the data directories */
#define DIR_SECURITY      4        /* the certificate table */
#define SECTION_SIZE      40

static unsigned rd16(const unsigned char *p) { return p[0] | p[1] << 8; }
static unsigned long rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (unsigned long)p[3] << 24; }

static int die(const char *msg, const char *what)
{
    fprintf(stderr, "pagoda-pin: %s: %s\n", what, msg);
    return 1;
}

/* The pin block's file offset, or 0 with a message. */
static size_t find_pin(const unsigned char *img, size_t len, const char *path, int *signed_image)
{
    if (len < PE_OFFSET_FIELD + 4)
        return die("not a PE image", path), 0;
    size_t pe = rd32(img + PE_OFFSET_FIELD);
    if (pe > len - 4 - COFF_HEADER_SIZE || memcmp(img + pe, "PE\0\0", 4) != 0)
        return die("not a PE image", path), 0;
    size_t nsec = rd16(img + pe + 6), optsz = rd16(img + pe + 20), opt = pe + 4 + COFF_HEADER_SIZE;
    if (opt + optsz > len || optsz < OPT_DIRS || rd16(img + opt) != OPT_MAGIC_PE32P)
        return die("not a PE32+ image", path), 0;
    unsigned long ndirs = rd32(img + opt + OPT_NUM_DIRS);
    *signed_image = ndirs > DIR_SECURITY && OPT_DIRS + 8 * DIR_SECURITY + 8 <= optsz &&
                    rd32(img + opt + OPT_DIRS + 8 * DIR_SECURITY + 4) != 0;
    size_t sec = opt + optsz;
    for (size_t i = 0; i < nsec && sec + SECTION_SIZE * (i + 1) <= len; i++) {
        const unsigned char *s = img + sec + SECTION_SIZE * i;
        if (memcmp(s, PIN_SECTION, strlen(PIN_SECTION)) != 0)
            continue;
        size_t raw = rd32(s + 20), rawsz = rd32(s + 16);
        if (rawsz < sizeof(struct pin_block) || raw > len || len - raw < sizeof(struct pin_block) ||
            memcmp(img + raw, PIN_MAGIC, PIN_MAGIC_SIZE) != 0)
            return die("the " PIN_SECTION " section holds no pin block", path), 0;
        return raw;
    }
    return die("no " PIN_SECTION " section (not a Pagoda loader?)", path), 0;
}

/* Write conf_path's hash into the pin block at file offset `at` of path
 * (img: its contents); 0, or 1 with a message. */
static int enroll(const char *path, unsigned char *img, size_t at, const char *conf_path)
{
    struct pin_block pin;
    char hex[SHA256_HEX_SIZE];
    size_t clen;
    unsigned char *conf = host_read_file(conf_path, &clen);

    if (!conf)
        return die("cannot read", conf_path);
    memcpy(&pin, img + at, sizeof(pin));
    sha256(conf, clen, pin.config_sha256);
    free(conf);
    pin.version = PIN_VERSION;
    pin.flags |= PIN_FLAG_CONFIG;
    FILE *f = fopen(path, "r+b");
    bool ok = f && fseek(f, (long)at, SEEK_SET) == 0 && fwrite(&pin, sizeof(pin), 1, f) == 1;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        return die("cannot write", path);
    sha256_to_hex(pin.config_sha256, hex);
    printf("pagoda-pin: %s: config %s sha256=%s\n", path, conf_path, hex);
    return 0;
}

int main(int argc, char **argv)
{
    size_t len;
    int is_signed, rc;

    if (argc != 3) {
        fprintf(stderr, "usage: pagoda-pin BOOTX64.EFI pagoda.conf | --show\n");
        return 2;
    }
    unsigned char *img = host_read_file(argv[1], &len);
    if (!img)
        return die("cannot read", argv[1]);
    size_t at = find_pin(img, len, argv[1], &is_signed);
    if (!at) {
        rc = 1;
    } else if (strcmp(argv[2], "--show") == 0) {
        struct pin_block pin;
        char hex[SHA256_HEX_SIZE];
        memcpy(&pin, img + at, sizeof(pin));
        sha256_to_hex(pin.config_sha256, hex);
        printf("%s\n", (pin.flags & PIN_FLAG_CONFIG) ? hex : "none");
        rc = 0;
    } else if (is_signed) {
        rc = die("already signed: enroll the config hash first, then sign", argv[1]);
    } else {
        rc = enroll(argv[1], img, at, argv[2]);
    }
    free(img);
    return rc;
}
