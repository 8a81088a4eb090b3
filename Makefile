# Pagoda: one non-recursive Makefile.
#   make            BOOTX64.EFI (kernel embedded) + kernel ELF + host tools
#   make test       host unit/property tests, fuzz smoke runs, QEMU boot tests
#   make bench      memory-core, boot-phase, smp-stress and AP start-up benchmark tables
#   make soak N=200 boot N random configurations (firmware, emulator, CPUs, RAM, ...)
#   make run        boot esp/ in QEMU + OVMF (see ./run.sh -h)
#   make deps       install the Debian packages all of this needs (tools/deps.sh)
# shared/*.c is compiled three times: EFI flags, kernel flags, host flags.

BUILD   ?= build
CC      ?= gcc
HOSTCC  ?= gcc
CLANG   ?= clang
LD      ?= ld
OBJCOPY ?= objcopy

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
DEPS    := -MMD -MP
COMMON  := -std=c11 -Iinclude $(WARN) $(DEPS)

SHARED_SRCS := $(wildcard shared/*.c)
NOLIBC_SRCS := $(wildcard shared/nolibc/*.c)   # loader and kernel only: host tests have libc
EFI_SRCS    := $(wildcard efi/*.c)
EFI_ASRCS   := $(wildcard efi/*.S)
KERNEL_SRCS := $(wildcard kernel/*.c)
KERNEL_ASRCS:= $(wildcard kernel/*.S)
SHARED_ASRCS:= $(wildcard shared/*.S)   # assembly both the loader and the kernel run (AP start)

# ---- EFI (gnu-efi) --------------------------------------------------------
GNUEFI_INC  := /usr/include/efi
GNUEFI_LIB  := /usr/lib
# -g: loader.so keeps the debug info for gdb (tools/pagoda.gdb); the PE
# copies only the sections the objcopy below names.
EFI_CFLAGS  := $(COMMON) -std=gnu11 -O2 -g -ffreestanding -fpic -fshort-wchar -mno-red-zone \
               -mgeneral-regs-only -fno-stack-protector -fno-strict-aliasing -fno-tree-loop-distribute-patterns \
               -DGNU_EFI_USE_MS_ABI -DGNU_EFI_USE_EXTERNAL_STDARG -DPAGODA_EFI -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 \
               -Wno-strict-prototypes -Wno-missing-prototypes
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T $(GNUEFI_LIB)/elf_x86_64_efi.lds \
               -L$(GNUEFI_LIB)
EFI_OBJS    := $(EFI_SRCS:%.c=$(BUILD)/efi/%.o) $(EFI_ASRCS:%.S=$(BUILD)/efi/%.o) \
               $(SHARED_SRCS:%.c=$(BUILD)/efi/%.o) $(SHARED_ASRCS:%.S=$(BUILD)/efi/%.o) \
               $(NOLIBC_SRCS:%.c=$(BUILD)/efi/%.o)
EFI_APP     := esp/EFI/BOOT/BOOTX64.EFI

# ---- Kernel ---------------------------------------------------------------
KERNEL_CFLAGS := $(COMMON) -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
                 -mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
                 -fno-tree-loop-distribute-patterns \
                 -DPAGODA_KERNEL
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
                  -T kernel/kernel.ld
# The Limine protocol core is the loader's business: kept out of Pagoda's
# kernel, whose image must not hold the protocol's magic numbers (the loader
# looks for them to choose the protocol).
KERNEL_SHARED := $(filter-out shared/limine_%.c,$(SHARED_SRCS))
KERNEL_OBJS := $(KERNEL_ASRCS:%.S=$(BUILD)/kernel/%.o) $(KERNEL_SRCS:%.c=$(BUILD)/kernel/%.o) \
               $(KERNEL_SHARED:%.c=$(BUILD)/kernel/%.o) $(SHARED_ASRCS:%.S=$(BUILD)/kernel/%.o) \
               $(NOLIBC_SRCS:%.c=$(BUILD)/kernel/%.o)
KERNEL_ELF  := $(BUILD)/kernel/pagoda.elf

# ---- Host (tests, fuzzers, bench, tools) ----------------------------------
HOST_CFLAGS := $(COMMON) -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all -DPAGODA_HOST
HOST_LDLIBS := -lcmocka
HOST_SHARED := $(SHARED_SRCS:%.c=$(BUILD)/host/%.o)
HOST_TESTS  := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%,$(wildcard tests/host/test_*.c))
HOST_TEST_COMMON := $(wildcard tests/host/common/*.c)

FUZZ_CFLAGS := -std=gnu11 -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -DPAGODA_HOST
FUZZERS     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

BENCH_CFLAGS:= $(COMMON) -std=gnu11 -O2 -g -DPAGODA_HOST -DNDEBUG
BENCHES     := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))

.PHONY: all test test-host test-fuzz test-boot bench soak run clean lint screenshots deps
all: $(EFI_APP) $(KERNEL_ELF)

# ---- Packages (tools/deps.sh) ----------------------------------------------
# Before anything is built, name every package the requested goals need
# that is missing and install it (apt-get; sudo when not root), rather than
# failing halfway through with a compiler's or QEMU's message.
# DEPS_INSTALL=0 only names them. The probes look at Debian's paths:
# NO_DEPS_CHECK=1 skips them (other distributions).
ifeq ($(filter deps clean,$(MAKECMDGOALS))$(NO_DEPS_CHECK),)
ifneq ($(shell tools/deps.sh ensure $(MAKECMDGOALS) && echo ok),ok)
$(error packages missing (listed above))
endif
endif
# Install them all (Debian 12: apt-get, with sudo when not root).
deps:
	tools/deps.sh install

# -- kernel
$(BUILD)/kernel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(BUILD)/kernel/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -D__ASSEMBLER__ -c $< -o $@
$(KERNEL_ELF): $(KERNEL_OBJS) kernel/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS)
# The embedded copy carries no debug info (gdb uses $(KERNEL_ELF)).
$(KERNEL_ELF:.elf=.stripped.elf): $(KERNEL_ELF)
	$(OBJCOPY) --strip-debug $< $@

# -- loader; efi/kernel_blob.S .incbin's the kernel ELF
$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(BUILD)/efi/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) -D__ASSEMBLER__ -Iinclude $(DEPS) -c $< -o $@
$(BUILD)/efi/efi/kernel_blob.o: efi/kernel_blob.S $(KERNEL_ELF:.elf=.stripped.elf)
	@mkdir -p $(dir $@)
	$(CC) -c -DKERNEL_PATH='"$(KERNEL_ELF:.elf=.stripped.elf)"' $< -o $@
# A shared object links with undefined symbols; in the PE they would be
# PLT jumps through an unrelocated GOT (a compiler helper such as
# __popcountdi2, a libc function): refuse them here.
$(BUILD)/efi/loader.so: $(EFI_OBJS)
	$(LD) $(EFI_LDFLAGS) $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) -o $@ -lefi -lgnuefi
	@if nm -u $@ | grep .; then echo "$@: undefined symbols (above)" >&2; rm -f $@; exit 1; fi
$(EFI_APP): $(BUILD)/efi/loader.so
	@mkdir -p $(dir $@)
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	  -j .rel.* -j .rela.* -j .reloc -j .pinconf --strip-all --target efi-app-x86_64 --subsystem=10 $< $@

# -- host
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@
$(BUILD)/host/tests/%: tests/host/%.c $(HOST_SHARED) $(HOST_TEST_COMMON)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -Itests/host -o $@ $< $(HOST_TEST_COMMON) $(HOST_SHARED) $(HOST_LDLIBS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(SHARED_SRCS) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(SHARED_SRCS)
$(BUILD)/bench/%: tests/bench/%.c $(SHARED_SRCS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(BENCH_CFLAGS) -o $@ $< $(SHARED_SRCS)

test-host: $(HOST_TESTS)
test-fuzz: $(FUZZERS)
test: all image $(HOST_TESTS) $(FUZZERS)
	tests/run-all.sh

bench: all $(BENCHES)
	@for b in $(BENCHES); do $$b || exit 1; done
	tests/bench/boot-phases.sh
	tests/bench/smp-stress.sh
	tests/bench/smp-bringup.sh
	tests/bench/limine-mp.sh
	tests/bench/memory-scale.sh
	tests/bench/big-machines.sh

run: all
	./run.sh

# Soak (tests/soak/soak.sh): `make soak N=200` or `make soak 200` (the
# number as a goal of its own, which then does nothing); SOAK_SEED=S repeats a run,
# SOAK_JOBS=K boots K at once (make exports command-line variables to the script).
SOAK_GOALS := $(shell echo '$(MAKECMDGOALS)' | tr ' ' '\n' | grep -E '^[0-9]+$$')
soak: all
	tests/soak/soak.sh $(or $(N),$(firstword $(SOAK_GOALS)),20)
ifneq ($(filter soak,$(MAKECMDGOALS)),)
$(SOAK_GOALS):
	@:
endif

# README's pictures: the screen test's screenshots, copied into docs/.
screenshots: all
	tests/boot/screen-test.sh
	cp $(BUILD)/test-logs/screen.png docs/images/screen.png
	cp $(BUILD)/test-logs/screen-hidpi.png docs/images/screen-hidpi.png

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance -Iinclude \
	  --suppress=missingIncludeSystem --suppress=comparePointers --inline-suppr -D__x86_64__ shared kernel

clean:
	rm -rf $(BUILD) $(EFI_APP)

# ---- Console font (kernel/fbcon.c) -----------------------------------------
# A PSF bitmap font from Debian's console-setup-linux package (apt-get install
# console-setup-linux), gunzipped at build time and wrapped by `ld -r -b binary`
# into an object whose data moves to .rodata (the kernel maps it read-only,
# NX); shared/psf.c parses it at boot. Symbols: _binary_font_psf_start/_end.
# Appended to KERNEL_OBJS here (the link recipe expands it late) and made a
# prerequisite of the kernel ELF. FONT_PSF_GZ=... picks another PSF1/PSF2 font.
FONT_PSF_GZ ?= /usr/share/consolefonts/Lat15-Terminus16.psf.gz
FONT_DIR    := $(BUILD)/kernel/font
FONT_OBJ    := $(FONT_DIR)/font.o
KERNEL_OBJS += $(FONT_OBJ)
$(KERNEL_ELF): $(FONT_OBJ)
$(FONT_DIR)/font.psf: $(wildcard $(FONT_PSF_GZ))
	@mkdir -p $(dir $@)
	@test -f $(FONT_PSF_GZ) || { echo "no $(FONT_PSF_GZ) (apt-get install console-setup-linux)" >&2; exit 1; }
	gunzip -c $(FONT_PSF_GZ) > $@
$(FONT_OBJ): $(FONT_DIR)/font.psf
	cd $(FONT_DIR) && $(LD) -r -b binary -o font.bin.o font.psf
	$(OBJCOPY) --rename-section .data=.rodata.font,alloc,load,readonly,data,contents \
	  $(FONT_DIR)/font.bin.o $@
# ---- end of console font -------------------------------------------------------

# ---- Disk image, install, memory-map replay (tools/) ----------------------
# make image   build/pagoda.img: a GPT disk with one FAT32 EFI System
#              Partition holding EFI/BOOT/BOOTX64.EFI, the removable-media
#              path every UEFI firmware boots. For QEMU (./run.sh -d) and for
#              dd to a USB stick (README "Boot it on your machine"). No root,
#              no loop device: sgdisk (gdisk) writes the partition table into
#              a sparse file, mtools formats and fills a separate partition
#              image, dd puts that at the partition's offset.
# make install ESP=/mounted/esp [REMOVABLE=1] [FORCE=1]
#              copy the loader to ESP/EFI/pagoda/pagoda.efi (tools/install-esp.sh).
# The replay tool reads a capture (docs/memmap-capture.md) and runs it
# through shared/ at host flags; `make` builds it.
# Layout: 1 MiB for the protective MBR and the primary GPT (and alignment),
# the ESP, 1 MiB for the backup GPT. FAT32 needs >= 65525 clusters, so more
# than 32 MiB at one sector per cluster. EF00 is sgdisk's code for the ESP
# type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
IMAGE            := $(BUILD)/pagoda.img
# The loader the image and `make install` take: signed when KEY= is given
# (the Secure Boot section below makes it). Defined here: a rule's
# prerequisites are expanded when make reads the rule.
SIGNED_APP := $(BUILD)/signed/BOOTX64.EFI
PAGODA_PIN := $(BUILD)/tools/pagoda-pin
TPM_REPLAY := $(BUILD)/tools/tpm-replay
IMAGE_APP  := $(if $(KEY),$(SIGNED_APP),$(EFI_APP))
IMAGE_SECTOR     := 512
IMAGE_HEAD_MIB   := 1
IMAGE_ESP_MIB    := 64
IMAGE_TAIL_MIB   := 1
IMAGE_MIB        := $(shell echo $$(( $(IMAGE_HEAD_MIB) + $(IMAGE_ESP_MIB) + $(IMAGE_TAIL_MIB) )))
IMAGE_ESP_FIRST  := $(shell echo $$(( $(IMAGE_HEAD_MIB) * 1048576 / $(IMAGE_SECTOR) )))
ESP_TYPE_CODE    := EF00
REPLAY           := $(BUILD)/tools/replay
REPLAY_SRCS      := tools/replay.c tools/replay_paging.c tools/capture_file.c

.PHONY: image install
all: $(REPLAY)
image: $(IMAGE)

# Which loader and config went in: a plain `make image` after a signed one
# (or the reverse) must rebuild although no file is newer.
IMAGE_INPUTS := $(BUILD)/pagoda.img.inputs
.PHONY: image-inputs-check
$(IMAGE_INPUTS): image-inputs-check
	@mkdir -p $(dir $@)
	@echo '$(IMAGE_APP) $(PIN)' | cmp -s - $@ || echo '$(IMAGE_APP) $(PIN)' > $@
$(IMAGE): $(IMAGE_APP) $(PIN) $(IMAGE_INPUTS)
	@command -v sgdisk >/dev/null || { echo "make image: no sgdisk (apt-get install gdisk)" >&2; exit 1; }
	@command -v mformat >/dev/null || { echo "make image: no mformat (apt-get install mtools)" >&2; exit 1; }
	rm -f $@.tmp $@.esp
	truncate -s $(IMAGE_MIB)M $@.tmp
	sgdisk --clear --new=1:$(IMAGE_ESP_FIRST):+$(IMAGE_ESP_MIB)M --typecode=1:$(ESP_TYPE_CODE) \
	  --change-name=1:'EFI system partition' $@.tmp >/dev/null
	truncate -s $(IMAGE_ESP_MIB)M $@.esp
	mformat -i $@.esp -F -c 1 -H $(IMAGE_ESP_FIRST) -v PAGODA ::
	mmd -i $@.esp ::/EFI ::/EFI/BOOT ::/EFI/pagoda
	mcopy -i $@.esp $(IMAGE_APP) ::/EFI/BOOT/BOOTX64.EFI
	$(if $(PIN),mcopy -i $@.esp $(PIN) ::/EFI/pagoda/pagoda.conf)
	dd if=$@.esp of=$@.tmp bs=$(IMAGE_SECTOR) seek=$(IMAGE_ESP_FIRST) conv=notrunc,sparse status=none
	rm -f $@.esp
	mv $@.tmp $@

install: $(IMAGE_APP)
	@tools/install-esp.sh "$(IMAGE_APP)" "$(ESP)" "$(REMOVABLE)" "$(FORCE)"

$(REPLAY): $(REPLAY_SRCS:%.c=$(BUILD)/host/%.o) $(HOST_SHARED)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^
# ---- end of disk image, install, replay --------------------------------------

# ---- Secure Boot and measured boot (docs/secure-boot.md) --------------------
# make sign KEY=db.key CERT=db.crt [PIN=pagoda.conf]
#              $(SIGNED_APP): BOOTX64.EFI with the config's SHA-256 enrolled
#              (PIN=, tools/pagoda-pin) and then signed with sbsign, checked
#              with sbverify. `make image KEY=... CERT=... [PIN=...]` puts
#              that loader (and the pinned config) into the disk image.
# tools: pagoda-pin (the config pin), tpm-replay (event log -> PCR values).
.PHONY: sign $(SIGNED_APP)
all: $(PAGODA_PIN) $(TPM_REPLAY)
sign: $(SIGNED_APP)
$(SIGNED_APP): $(EFI_APP) $(PAGODA_PIN)
	@test -n "$(KEY)" -a -n "$(CERT)" || { echo "make sign: KEY=private-key.pem CERT=cert.pem needed" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cp $(EFI_APP) $@.unsigned
	$(if $(PIN),$(PAGODA_PIN) $@.unsigned $(PIN))
	sbsign --key $(KEY) --cert $(CERT) --output $@ $@.unsigned
	sbverify --cert $(CERT) $@
	rm -f $@.unsigned
$(PAGODA_PIN): $(BUILD)/host/tools/pagoda-pin.o $(BUILD)/host/tools/host_file.o $(HOST_SHARED)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^
$(TPM_REPLAY): $(BUILD)/host/tools/tpm-replay.o $(BUILD)/host/tools/host_file.o $(HOST_SHARED)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^
# ---- end of Secure Boot and measured boot -------------------------------------

# ---- ELF-kind test kernels (tests/elf/, tests/elf/elf-tests.sh) -------------
# Small kernels of other ELF kinds that the loader must boot: a PIE linked
# at 0 by ld's default script with RELR (-z pack-relative-relocs), a shared
# object whose preemptible symbols need R_X86_64_64/GLOB_DAT/JUMP_SLOT, a
# quirks ET_EXEC (tests/elf/quirks.ld); and two it must refuse as linked:
# a shared object with an undefined symbol, a PIE that asks for ld.so.
ELFT_DIR     := $(BUILD)/elf
ELFT_CFLAGS  := -std=gnu11 -O2 -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
                -mgeneral-regs-only -fno-stack-protector -Wall -Wextra -Werror $(DEPS)
ELFT_PIE_LD  := -pie -z pack-relative-relocs -z max-page-size=4096 -z separate-code \
                --build-id --eh-frame-hdr -e elf_test_entry
ELFT_KERNELS := $(addprefix $(ELFT_DIR)/,pie-relr.elf shared-sym.elf quirks.elf \
                shared-undefined.elf pie-interp.elf)
.PHONY: elf-kernels
elf-kernels: $(ELFT_KERNELS)
test: $(ELFT_KERNELS)

$(ELFT_DIR)/reloc-pie.o: tests/elf/reloc_kernel.c
	@mkdir -p $(dir $@)
	$(CC) $(ELFT_CFLAGS) -fpie -DELFTEST_IMAGE_START='"__ehdr_start"' -DELFTEST_IMAGE_END='"_end"' -c $< -o $@
$(ELFT_DIR)/reloc-pic.o: tests/elf/reloc_kernel.c
	@mkdir -p $(dir $@)
	$(CC) $(ELFT_CFLAGS) -fPIC -c $< -o $@
$(ELFT_DIR)/reloc-pic-undef.o: tests/elf/reloc_kernel.c
	@mkdir -p $(dir $@)
	$(CC) $(ELFT_CFLAGS) -fPIC -DELFTEST_UNDEFINED -c $< -o $@
$(ELFT_DIR)/quirks.o: tests/elf/quirks_kernel.c
	@mkdir -p $(dir $@)
	$(CC) $(ELFT_CFLAGS) -fno-pic -fno-pie -mcmodel=kernel -c $< -o $@
$(ELFT_DIR)/pie-relr.elf: $(ELFT_DIR)/reloc-pie.o
	$(LD) $(ELFT_PIE_LD) --no-dynamic-linker -o $@ $<
$(ELFT_DIR)/pie-interp.elf: $(ELFT_DIR)/reloc-pie.o
	$(LD) $(ELFT_PIE_LD) -dynamic-linker /lib64/ld-linux-x86-64.so.2 -o $@ $<
$(ELFT_DIR)/shared-sym.elf: $(ELFT_DIR)/reloc-pic.o tests/elf/reloc.ld
	$(LD) -shared -z max-page-size=4096 -T tests/elf/reloc.ld -o $@ $<
$(ELFT_DIR)/shared-undefined.elf: $(ELFT_DIR)/reloc-pic-undef.o tests/elf/reloc.ld
	$(LD) -shared -z max-page-size=4096 -T tests/elf/reloc.ld -o $@ $<
$(ELFT_DIR)/quirks.elf: $(ELFT_DIR)/quirks.o tests/elf/quirks.ld
	$(LD) -static -no-pie --eh-frame-hdr -z max-page-size=4096 -T tests/elf/quirks.ld -o $@ $<
# ---- end of ELF-kind test kernels ----------------------------------------------

# ---- Limine-protocol test kernels (tests/limine/) ---------------------------
# Freestanding kernels that speak the Limine boot protocol with their own
# declarations (tests/limine/lk_proto.h), booted by tests/limine/limine-tests.sh.
# Each variant is the same sources with other -D flags, kind (exec: linked at
# 0xffffffff80000000, -mcmodel=kernel; pie: -fpie, linked at 0, ET_DYN) and
# linker script; objects per variant under build/limine/VARIANT/.
LK_DIR     := $(BUILD)/limine
LK_SRC     := $(wildcard tests/limine/*.c) $(wildcard tests/limine/*.S)
LK_CFLAGS  := -std=gnu11 -O2 -g -ffreestanding -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
              -fno-tree-loop-distribute-patterns -Itests/limine $(WARN) $(DEPS)
LK_CFLAGS_exec := -fno-pic -fno-pie -mcmodel=kernel
LK_CFLAGS_pie  := -fpie
LK_LDFLAGS      := -nostdlib -z max-page-size=4096 -z noexecstack
LK_LDFLAGS_exec := -static -no-pie
LK_LDFLAGS_pie  := -pie --no-dynamic-linker -z norelro -z text
# name: -D flags, kind, linker script
LK_VARIANTS := rev0 rev0-notag rev1 rev2 rev3 rev6 rev7 pie pie-relr quirks la57 x2apic dup reqmod keepiommu
LK_DEFS_rev0 := -DLK_BASE_REVISION=0
LK_DEFS_rev0-notag := -DLK_BASE_REVISION=0 -DLK_NO_TAG
LK_DEFS_rev1 := -DLK_BASE_REVISION=1
LK_DEFS_rev2 := -DLK_BASE_REVISION=2
LK_DEFS_rev3 := -DLK_BASE_REVISION=3
LK_DEFS_rev6 := -DLK_BASE_REVISION=6
LK_DEFS_rev7 := -DLK_BASE_REVISION=6 -DLK_TAG_REVISION=7
LK_DEFS_pie  := -DLK_BASE_REVISION=6 -DLK_PIE
LK_DEFS_pie-relr := -DLK_BASE_REVISION=6 -DLK_PIE
LK_DEFS_quirks := -DLK_BASE_REVISION=6 -DLK_QUIRKS
LK_DEFS_la57 := -DLK_BASE_REVISION=6 -DLK_NEED_5LVL
LK_DEFS_x2apic := -DLK_BASE_REVISION=6 -DLK_MP_X2APIC
LK_DEFS_dup  := -DLK_BASE_REVISION=6 -DLK_DUP_REQUEST
LK_DEFS_reqmod := -DLK_BASE_REVISION=6 -DLK_REQUIRED_MODULE
LK_DEFS_keepiommu := -DLK_BASE_REVISION=6 -DLK_KEEP_IOMMU
LK_KIND_pie := pie
LK_KIND_pie-relr := pie
LK_LD_pie := tests/limine/lk-pie.ld
LK_LD_pie-relr := tests/limine/lk-pie.ld
LK_LD_quirks := tests/limine/lk-quirks.ld
LK_EXTRA_pie := -z nopack-relative-relocs
LK_EXTRA_pie-relr := -z pack-relative-relocs
LK_ELFS := $(LK_VARIANTS:%=$(LK_DIR)/lk-%.elf)

# $(1) = variant
define LK_VARIANT_RULES
LK_OBJS_$(1) := $(patsubst tests/limine/%,$(LK_DIR)/$(1)/%.o,$(basename $(LK_SRC)))
$(LK_DIR)/$(1)/%.o: tests/limine/%.c
	@mkdir -p $$(dir $$@)
	$(CC) $(LK_CFLAGS) $(LK_CFLAGS_$(or $(LK_KIND_$(1)),exec)) $(LK_DEFS_$(1)) -c $$< -o $$@
$(LK_DIR)/$(1)/%.o: tests/limine/%.S
	@mkdir -p $$(dir $$@)
	$(CC) $(LK_CFLAGS) $(LK_CFLAGS_$(or $(LK_KIND_$(1)),exec)) $(LK_DEFS_$(1)) -D__ASSEMBLER__ -c $$< -o $$@
$(LK_DIR)/lk-$(1).elf: $$(LK_OBJS_$(1)) $(or $(LK_LD_$(1)),tests/limine/lk.ld)
	$(LD) $(LK_LDFLAGS) $(LK_LDFLAGS_$(or $(LK_KIND_$(1)),exec)) $(LK_EXTRA_$(1)) \
	  -T $(or $(LK_LD_$(1)),tests/limine/lk.ld) -o $$@ $$(LK_OBJS_$(1))
endef
$(foreach v,$(LK_VARIANTS),$(eval $(call LK_VARIANT_RULES,$(v))))

# lk-fwstate.efi (tests/limine/fwstate/): a UEFI application that plays a
# firmware leaving state behind (MTRRs, VT-d) and then starts the loader.
LK_FWSTATE := $(LK_DIR)/lk-fwstate.efi
$(LK_DIR)/fwstate/%.o: tests/limine/fwstate/%.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(LK_DIR)/fwstate/lk-fwstate.so: $(LK_DIR)/fwstate/lk_fwstate.o
	$(LD) $(EFI_LDFLAGS) $(GNUEFI_LIB)/crt0-efi-x86_64.o $< -o $@ -lefi -lgnuefi
$(LK_FWSTATE): $(LK_DIR)/fwstate/lk-fwstate.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	  -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

.PHONY: limine-kernels lint-limine
limine-kernels: $(LK_ELFS) $(LK_FWSTATE)
all: $(LK_ELFS) $(LK_FWSTATE)
# `make lint` covers the test kernels too (one revision; the variant flags
# only switch requests and checks on and off).
lint: lint-limine
lint-limine:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance -Itests/limine \
	  --suppress=missingIncludeSystem --inline-suppr -D__x86_64__ -DLK_BASE_REVISION=6 tests/limine
# ---- end of Limine-protocol test kernels ------------------------------------

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
