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
        cmocka_unit_test(test_limine_smp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
