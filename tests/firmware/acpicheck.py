# SPDX-License-Identifier: GPL-2.0-or-later
"""Check the ACPI tables a firmware-booted guest dumped on COM1 (acpi-dump.c's format).

parse_dump() rebuilds each table from its HEX lines; check_tables() verifies what a guest
OS relies on (ACPI 6.4 §5.2: checksums, lengths, the RSDP -> RSDT/XSDT -> FADT -> DSDT/FACS
chain) and that the FADT and MADT describe Vessel's PC; disassemble() runs `iasl -d` on
every table and compiles the DSDT/SSDT disassembly back, failing on errors.
"""

import os
import re
import struct
import subprocess

REQUIRED = ('RSDT', 'XSDT', 'FACP', 'APIC', 'DSDT', 'FACS', 'SSDT')
# What the VMM's PIIX4 PM and chipset are (vmm-core/acpi/acpi.h, acpi_config_default).
FADT_EXPECT = {
    'SCI_INT': (46, '<H', 9), 'SMI_CMD': (48, '<I', 0xB2), 'ACPI_ENABLE': (52, 'B', 0xF1),
    'ACPI_DISABLE': (53, 'B', 0xF0), 'PM1a_EVT_BLK': (56, '<I', 0x600),
    'PM1a_CNT_BLK': (64, '<I', 0x604), 'PM_TMR_BLK': (76, '<I', 0x608),
    'PM1_EVT_LEN': (88, 'B', 4), 'PM1_CNT_LEN': (89, 'B', 2), 'PM_TMR_LEN': (91, 'B', 4),
}
# Patterns in iasl's output or disassembly that mean it found something wrong.
IASL_TROUBLE = re.compile(r'Error|Warning|Invalid|Incorrect|\*\*\*\*')


class Table:
    def __init__(self, sig, addr, length):
        self.sig, self.addr, self.length = sig, addr, length
        self.data = bytearray()

    def u(self, off, fmt):
        return struct.unpack_from(fmt, self.data, off)[0]


def parse_dump(text):
    """(tables in dump order, problems) from the serial transcript."""
    tables, problems, cur = [], [], None
    for line in text.splitlines():
        m = re.fullmatch(r'TABLE (\S{4}) 0x([0-9a-f]{8}) (\d+)', line.strip())
        if m:
            cur = Table(m.group(1), int(m.group(2), 16), int(m.group(3)))
            tables.append(cur)
        elif line.startswith('HEX ') and cur:
            try:
                cur.data += bytes.fromhex(line[4:].strip())
            except ValueError:
                problems.append('%s: unreadable HEX line %r' % (cur.sig, line))
        elif line.startswith('BAD '):
            problems.append('guest: ' + line[4:].strip())
    for t in tables:
        if len(t.data) != t.length:
            problems.append('%s at %#x: %d bytes dumped, %d announced' %
                            (t.sig, t.addr, len(t.data), t.length))
    return tables, problems


def check_sums(tables):
    problems = []
    for t in tables:
        if t.sig == 'RSDP':
            if sum(t.data[:20]) & 0xFF or t.data[:8] != b'RSD PTR ':
                problems.append('RSDP: bad signature or checksum of the first 20 bytes')
            if len(t.data) >= 36 and sum(t.data[:t.u(20, '<I')]) & 0xFF:
                problems.append('RSDP: bad extended checksum')
        elif t.sig == 'FACS':
            if t.u(4, '<I') != len(t.data) or t.addr % 64:
                problems.append('FACS: length field or 64-byte alignment wrong')
        else:
            if t.data[:4].decode('latin-1') != t.sig or t.u(4, '<I') != len(t.data):
                problems.append('%s: header signature or length wrong' % t.sig)
            if sum(t.data) & 0xFF:
                problems.append('%s: checksum off by %d' % (t.sig, sum(t.data) & 0xFF))
    return problems


def check_chain(by_sig):
    """RSDP -> RSDT/XSDT list the same tables; FADT names the DSDT and FACS dumped."""
    problems = []
    rsdp, rsdt, xsdt, fadt = (by_sig[s][0] for s in ('RSDP', 'RSDT', 'XSDT', 'FACP'))
    if rsdp.u(16, '<I') != rsdt.addr or rsdp.data[15] < 2 or rsdp.u(24, '<Q') != xsdt.addr:
        problems.append('RSDP does not point at the RSDT and XSDT that were dumped')
    r = [rsdt.u(36 + 4 * i, '<I') for i in range((len(rsdt.data) - 36) // 4)]
    x = [xsdt.u(36 + 8 * i, '<Q') for i in range((len(xsdt.data) - 36) // 8)]
    if r != x:
        problems.append('RSDT lists %s, XSDT lists %s' % ([hex(a) for a in r],
                                                          [hex(a) for a in x]))
    dsdt = fadt.u(140, '<Q') if len(fadt.data) >= 148 and fadt.u(140, '<Q') else \
        fadt.u(40, '<I')
    facs = fadt.u(132, '<Q') if len(fadt.data) >= 140 and fadt.u(132, '<Q') else \
        fadt.u(36, '<I')
    if dsdt != by_sig['DSDT'][0].addr or facs != by_sig['FACS'][0].addr:
        problems.append('FADT names DSDT %#x / FACS %#x, not the ones dumped' % (dsdt, facs))
    for sig in ('DSDT', 'FACS', 'RSDT', 'XSDT'):
        if any(a == by_sig[sig][0].addr for a in r):
            problems.append('%s must not be listed in the RSDT' % sig)
    return problems


def check_fadt(fadt):
    problems = []
    for name, (off, fmt, want) in FADT_EXPECT.items():
        got = fadt.u(off, fmt)
        if got != want:
            problems.append('FADT %s = %#x, want %#x' % (name, got, want))
    # RESET_REG (GAS at 116: I/O space 1, address 0xCF9) with RESET_VALUE 6, flag bit 10.
    if len(fadt.data) >= 129 and fadt.u(112, '<I') & (1 << 10):
        if fadt.data[116] != 1 or fadt.u(120, '<Q') != 0xCF9 or fadt.data[128] != 6:
            problems.append('FADT RESET_REG is not I/O 0xCF9 <- 6')
    return problems


def madt_entries(madt):
    off = 44
    while off + 2 <= len(madt.data):
        etype, elen = madt.data[off], madt.data[off + 1]
        if elen < 2 or off + elen > len(madt.data):
            yield None, off
            return
        yield etype, madt.data[off:off + elen]
        off += elen


def check_madt(madt, cpus):
    problems, lapics, ioapics, iso = [], 0, [], {}
    if madt.u(36, '<I') != 0xFEE00000:
        problems.append('MADT local APIC address %#x' % madt.u(36, '<I'))
    for etype, e in madt_entries(madt):
        if etype is None:
            problems.append('MADT entry at offset %d runs past the table' % e)
        elif etype == 0 and len(e) >= 8 and e[4] & 1:
            lapics += 1
        elif etype == 1 and len(e) >= 12:
            ioapics.append(struct.unpack_from('<I', e, 4)[0])
        elif etype == 2 and len(e) >= 10:
            iso[e[3]] = struct.unpack_from('<IH', e, 4)
    if lapics != cpus:
        problems.append('MADT has %d enabled local APICs, want %d' % (lapics, cpus))
    if ioapics != [0xFEC00000]:
        problems.append('MADT IOAPICs at %s, want one at 0xfec00000' % ioapics)
    if iso.get(0, (None,))[0] != 2:
        problems.append('MADT: no override IRQ 0 -> GSI 2')
    # ACPI 6.4 table 5.50: polarity 01 active high, trigger 11 level.
    if iso.get(9) != (9, 0x000D):
        problems.append('MADT: SCI override for IRQ 9 is %s, want GSI 9 flags 0x000d' %
                        (iso.get(9),))
    return problems


def check_tables(tables, cpus):
    by_sig = {}
    for t in tables:
        by_sig.setdefault(t.sig, []).append(t)
    missing = [s for s in ('RSDP',) + REQUIRED if s not in by_sig]
    if missing:
        return ['tables missing: %s (found %s)' % (', '.join(missing),
                                                   ', '.join(t.sig for t in tables))]
    problems = check_sums(tables)
    if problems:
        return problems
    return (check_chain(by_sig) + check_fadt(by_sig['FACP'][0]) +
            check_madt(by_sig['APIC'][0], cpus))


def run_iasl(args, cwd):
    p = subprocess.run(['iasl'] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode('latin-1')


def disassemble(tables, work, cpus):
    """iasl -d every table but the RSDP; recompile DSDT and SSDTs. Problems found."""
    problems, names = [], []
    os.makedirs(work, exist_ok=True)
    for i, t in enumerate(tables):
        if t.sig == 'RSDP':
            continue
        name = '%s%d' % (t.sig.lower(), i)
        with open(os.path.join(work, name + '.dat'), 'wb') as f:
            f.write(t.data)
        names.append((t.sig, name))
    dsdt = [n for s, n in names if s == 'DSDT']
    aml_text = ''
    for sig, name in names:
        # -e takes every file name up to the next option: it must come before -d.
        ext = ['-e', dsdt[0] + '.dat'] if sig == 'SSDT' and dsdt else []
        rc, out = run_iasl(ext + ['-d', name + '.dat'], work)
        dsl_path = os.path.join(work, name + '.dsl')
        dsl = open(dsl_path, encoding='latin-1').read() if os.path.exists(dsl_path) else ''
        bad = IASL_TROUBLE.search(out + dsl)
        if rc or not dsl or bad:
            problems.append('iasl -d %s (%s): status %d%s' % (name, sig, rc,
                            ', "%s"' % bad.group(0) if bad else ''))
            continue
        if sig in ('DSDT', 'SSDT'):
            aml_text += dsl
            problems += recompile(name, work)
    if '_S5' not in aml_text:
        problems.append('no _S5 object in the DSDT/SSDTs')
    procs = len(re.findall(r'\bProcessor \(', aml_text)) + aml_text.count('"ACPI0007"')
    if procs != cpus:
        problems.append('%d processor objects in the AML, want %d' % (procs, cpus))
    return problems


def recompile(name, work):
    """The disassembly must compile back without errors (warnings are iasl's style notes)."""
    rc, out = run_iasl(['-p', name + '-re', name + '.dsl'], work)
    m = re.search(r'(\d+) Errors', out)
    if rc or not m or m.group(1) != '0':
        tail = [l for l in out.splitlines() if 'rror' in l][:3]
        return ['iasl cannot compile the disassembly of %s back: %s' % (name, tail)]
    return []
