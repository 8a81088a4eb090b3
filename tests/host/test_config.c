/* pagoda.conf parsing: every key, every error names its line and problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static int parse(const char *text, struct config *cfg, char *err)
{
    return config_parse(text, strlen(text), cfg, err);
}

static void test_all_keys(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];
    (void)state;
    assert_int_equal(parse("# comment\n\n  kernel = /EFI/pagoda/k.elf \r\ncmdline=a b  c\nverbose=1\n"
                           "capture = 1\ngdb=1",
                           &c, err), 0);
    assert_string_equal(c.kernel, "\\EFI\\pagoda\\k.elf");
    assert_string_equal(c.cmdline, "a b  c");
    assert_int_equal(c.verbose, 1);
    assert_int_equal(c.capture, 1);
    assert_int_equal(c.gdb, 1);
}

static void test_defaults_on_empty(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];
    (void)state;
    assert_int_equal(config_parse("", 0, &c, err), 0);
    assert_string_equal(c.kernel, "");
    assert_string_equal(c.cmdline, "");
    assert_int_equal(c.verbose, 0);
    assert_int_equal(c.capture, 0);
    assert_int_equal(c.gdb, 0);
}

static void test_protocol_and_modules(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];
    (void)state;
    assert_int_equal(parse("protocol=limine\nmodule=/boot/a.bin  hello  world \nmodule = b.bin\n"
                           "module=/x\tt\n", &c, err), 0);
    assert_int_equal(c.protocol, CONFIG_PROTOCOL_LIMINE);
    assert_int_equal(c.nmodules, 3);
    assert_string_equal(c.modules[0].path, "\\boot\\a.bin");
    assert_string_equal(c.modules[0].string, "hello  world");
    assert_string_equal(c.modules[1].path, "b.bin");
    assert_string_equal(c.modules[1].string, "");
    assert_string_equal(c.modules[2].path, "\\x");
    assert_string_equal(c.modules[2].string, "t");
    assert_int_equal(parse("protocol=pagoda\n", &c, err), 0);
    assert_int_equal(c.protocol, CONFIG_PROTOCOL_PAGODA);
    assert_int_equal(parse("protocol=auto\n", &c, err), 0);
    assert_int_equal(c.protocol, CONFIG_PROTOCOL_AUTO);
    assert_int_equal(parse("", &c, err), 0);
    assert_int_equal(c.protocol, CONFIG_PROTOCOL_AUTO);
    assert_int_equal(c.nmodules, 0);
}

static void test_paging(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];

    (void)state;
    assert_int_equal(parse("verbose=1\n", &c, err), 0);
    assert_int_equal(c.paging_levels, CONFIG_PAGING_AUTO);
    assert_int_equal(parse("paging=4\n", &c, err), 0);
    assert_int_equal(c.paging_levels, 4);
    assert_int_equal(parse("paging = 5\n", &c, err), 0);
    assert_int_equal(c.paging_levels, 5);
    assert_int_equal(parse("paging=6\n", &c, err), -1);
    assert_non_null(strstr(err, "line 1: paging must be 4 or 5, not '6'"));
    assert_int_equal(parse("paging=\n", &c, err), -1);
    assert_int_equal(parse("paging=45\n", &c, err), -1);
}

static void test_limine_smp(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];
    (void)state;
    assert_int_equal(parse("limine_smp=serial\n", &c, err), 0);
    assert_int_equal(c.limine_smp, CONFIG_LIMINE_SMP_SERIAL);
    assert_int_equal(parse("limine_smp = parallel\n", &c, err), 0);
    assert_int_equal(c.limine_smp, CONFIG_LIMINE_SMP_PARALLEL);
    assert_int_equal(parse("kernel=k.elf\n", &c, err), 0);
    assert_int_equal(c.limine_smp, CONFIG_LIMINE_SMP_PARALLEL);
    assert_int_equal(parse("limine_smp=fast\n", &c, err), -1);
    assert_non_null(strstr(err, "line 1: limine_smp must be parallel or serial"));
}

static void test_module_limit(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX], text[CONFIG_MODULES_MAX * 16 + 32] = "";
    (void)state;
    for (int i = 0; i < CONFIG_MODULES_MAX; i++)
        strcat(text, "module=m.bin s\n");
    assert_int_equal(parse(text, &c, err), 0);
    assert_int_equal(c.nmodules, CONFIG_MODULES_MAX);
    strcat(text, "module=one-more\n");
    assert_int_equal(parse(text, &c, err), -1);
    assert_non_null(strstr(err, "line 17: too many modules"));
}

/* SHA-256("abc") in hex, and the same with one digit that is not hex. */
#define ABC_HEX     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_HEX_BAD "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aX"

/* Pins: kernel_sha256=, sha256= right after a module's path (either case),
 * verify=; a module without a pin keeps its whole string. */
static void test_pins(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX];
    uint8_t abc[SHA256_DIGEST_SIZE];
    (void)state;

    sha256("abc", 3, abc);
    assert_int_equal(parse("verify=1\nkernel_sha256 = " ABC_HEX "\n"
                           "module=/a.bin sha256=" ABC_HEX " the string\n"
                           "module=/b.bin not sha256=" ABC_HEX "\n"
                           "module=/c.bin   SHA256=" ABC_HEX "\n"
                           "module=/d.bin sha256=" ABC_HEX "\n", &c, err), 0);
    assert_int_equal(c.verify, 1);
    assert_true(c.kernel_pin.set);
    assert_memory_equal(c.kernel_pin.sha256, abc, sizeof(abc));
    assert_int_equal(c.nmodules, 4);
    assert_true(c.modules[0].pin.set);
    assert_memory_equal(c.modules[0].pin.sha256, abc, sizeof(abc));
    assert_string_equal(c.modules[0].string, "the string");
    assert_false(c.modules[1].pin.set);
    assert_string_equal(c.modules[1].string, "not sha256=" ABC_HEX);
    assert_false(c.modules[2].pin.set);           /* the prefix is lower-case */
    assert_string_equal(c.modules[2].string, "SHA256=" ABC_HEX);
    assert_true(c.modules[3].pin.set);
    assert_string_equal(c.modules[3].string, "");
    assert_int_equal(parse("file_sha256 = /boot/x.bin   " ABC_HEX "\nfile_sha256=y " ABC_HEX "\n", &c, err), 0);
    assert_int_equal(c.nfile_pins, 2);
    assert_string_equal(c.file_pins[0].path, "\\boot\\x.bin");
    assert_memory_equal(c.file_pins[0].pin.sha256, abc, sizeof(abc));
    assert_string_equal(c.file_pins[1].path, "y");
    assert_int_equal(parse("kernel=/k\n", &c, err), 0);
    assert_false(c.kernel_pin.set);
    assert_int_equal(c.verify, 0);
}

static void test_errors_table(void **state)
{
    static const struct { const char *text; const char *msg; } rows[] = {
        { "kernal=x\n", "line 1: unknown key 'kernal'" },
        { "\n\nverbose=yes\n", "line 3: verbose must be 0 or 1, not 'yes'" },
        { "cmdline\n", "line 1: expected key=value, got 'cmdline'" },
        { "kernel=\n", "line 1: empty kernel path" },
        { "=5\n", "line 1: unknown key ''" },
        { "verbose=1\ncapture=on\n", "line 2: capture must be 0 or 1, not 'on'" },
        { "capture=\n", "line 1: capture must be 0 or 1, not ''" },
        { "captures=1\n", "line 1: unknown key 'captures'" },
        { "gdb=yes\n", "line 1: gdb must be 0 or 1, not 'yes'" },
        { "protocol=multiboot\n", "line 1: protocol must be auto, pagoda or limine, not 'multiboot'" },
        { "protocol=\n", "line 1: protocol must be auto, pagoda or limine, not ''" },
        { "module=\n", "line 1: empty module path" },
        { "verify=2\n", "line 1: verify must be 0 or 1, not '2'" },
        { "kernel_sha256=abc\n", "line 1: kernel_sha256 must be 64 hex digits, not 'abc'" },
        { "kernel_sha256=" ABC_HEX "0\n", "line 1: kernel_sha256 must be 64 hex digits" },
        { "kernel_sha256=" ABC_HEX_BAD "\n", "line 1: kernel_sha256 must be 64 hex digits" },
        { "module=/m sha256=12 s\n", "line 1: module sha256 must be 64 hex digits, not '12'" },
        { "module=/m sha256= s\n", "line 1: module sha256 must be 64 hex digits, not ''" },
        { "file_sha256=/x\n", "line 1: file_sha256 needs a path and a SHA-256, not '/x'" },
        { "file_sha256=/x 12\n", "line 1: file_sha256 must end in 64 hex digits, not '12'" },
        { "file_sha256=/x " ABC_HEX " z\n", "line 1: file_sha256 must end in 64 hex digits" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct config c;
        char err[CONFIG_ERR_MAX];
        assert_int_equal(parse(rows[i].text, &c, err), -1);
        assert_non_null(strstr(err, rows[i].msg));
    }
}

static void test_too_long_and_nul(void **state)
{
    struct config c;
    char err[CONFIG_ERR_MAX], text[CONFIG_CMDLINE_MAX + 32];
    (void)state;
    memset(text, 'a', sizeof(text));
    memcpy(text, "cmdline=", 8);
    assert_int_equal(config_parse(text, sizeof(text), &c, err), -1);
    assert_non_null(strstr(err, "cmdline too long"));
    assert_int_equal(config_parse("verbose=1\0x", 11, &c, err), -1);
    assert_non_null(strstr(err, "NUL byte"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_keys), cmocka_unit_test(test_defaults_on_empty),
        cmocka_unit_test(test_errors_table), cmocka_unit_test(test_too_long_and_nul),
        cmocka_unit_test(test_protocol_and_modules), cmocka_unit_test(test_module_limit),
        cmocka_unit_test(test_limine_smp), cmocka_unit_test(test_pins),
        cmocka_unit_test(test_paging),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
