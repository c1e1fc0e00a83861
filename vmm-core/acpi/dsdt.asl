// SPDX-License-Identifier: GPL-2.0-or-later
// Vessel's DSDT: an i440FX/PIIX3 PC with PCI interrupt links and the legacy ISA devices.
//
// Compiled at build time with `iasl -tc` (see meson.build). Processor objects are not here:
// the CPU count varies, so acpi.c emits them in an SSDT. Keep this file ASCII (iasl refuses
// anything else).
//
// SeaBIOS (bios-256k.bin) walks this table with a small AML parser of its own and skips PS/2
// keyboard setup when it finds no PNP0303 device (platform notes section 1, "DSDT pitfall").
// Keep every object at Scope/Device level to Name, Method, Device, Scope, OperationRegion
// and Field, and keep _HID and _CRS as Names, so that parser reads the whole table.
// tests/unit/test-acpi.c checks both.
DefinitionBlock ("", "DSDT", 2, "VESSEL", "VESSELVM", 1)
{
	Scope (\_SB)
	{
		// PCI host bridge: bus 0 behind the i440FX (ACPI 6.4 section 6.1.5 _HID,
		// 6.5.5 _BBN, 6.2.2 _CRS). The windows are what the host bridge forwards to PCI.
		Device (PCI0)
		{
			Name (_HID, EisaId ("PNP0A03"))
			Name (_UID, Zero)
			Name (_BBN, Zero)
			Name (_CRS, ResourceTemplate ()
			{
				WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
					0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
				// Configuration mechanism #1 (PCI Local Bus 3.0 section 3.2.2.3.2).
				IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
				WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
					0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
				WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
					0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
				// Legacy VGA window.
				DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable,
					ReadWrite, 0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000,
					0x00020000)
				// 32-bit BAR window: the PCI hole up to the IOAPIC (memory.h
				// PC_PCI_HOLE_START; SeaBIOS allocates BARs down from 0xFEC00000).
				DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
					NonCacheable, ReadWrite, 0x00000000, 0xE0000000, 0xFEBFFFFF,
					0x00000000, 0x1EC00000)
			})

			// Slot/pin to interrupt link (ACPI 6.4 section 6.2.13). This is the PIIX
			// wiring SeaBIOS assumes when it fills in each device's Interrupt Line:
			// INTx of slot s goes to PIRQ[(s + x - 1) mod 4], INTA being x = 0
			// (SeaBIOS src/fw/pciinit.c, piix_pci_slot_get_irq).
			Name (_PRT, Package ()
			{
				Package () { 0x0000FFFF, 0, LNKD, 0 }, Package () { 0x0000FFFF, 1, LNKA, 0 },
				Package () { 0x0000FFFF, 2, LNKB, 0 }, Package () { 0x0000FFFF, 3, LNKC, 0 },
				Package () { 0x0001FFFF, 0, LNKA, 0 }, Package () { 0x0001FFFF, 1, LNKB, 0 },
				Package () { 0x0001FFFF, 2, LNKC, 0 }, Package () { 0x0001FFFF, 3, LNKD, 0 },
				Package () { 0x0002FFFF, 0, LNKB, 0 }, Package () { 0x0002FFFF, 1, LNKC, 0 },
				Package () { 0x0002FFFF, 2, LNKD, 0 }, Package () { 0x0002FFFF, 3, LNKA, 0 },
				Package () { 0x0003FFFF, 0, LNKC, 0 }, Package () { 0x0003FFFF, 1, LNKD, 0 },
				Package () { 0x0003FFFF, 2, LNKA, 0 }, Package () { 0x0003FFFF, 3, LNKB, 0 },
				Package () { 0x0004FFFF, 0, LNKD, 0 }, Package () { 0x0004FFFF, 1, LNKA, 0 },
				Package () { 0x0004FFFF, 2, LNKB, 0 }, Package () { 0x0004FFFF, 3, LNKC, 0 },
				Package () { 0x0005FFFF, 0, LNKA, 0 }, Package () { 0x0005FFFF, 1, LNKB, 0 },
				Package () { 0x0005FFFF, 2, LNKC, 0 }, Package () { 0x0005FFFF, 3, LNKD, 0 },
				Package () { 0x0006FFFF, 0, LNKB, 0 }, Package () { 0x0006FFFF, 1, LNKC, 0 },
				Package () { 0x0006FFFF, 2, LNKD, 0 }, Package () { 0x0006FFFF, 3, LNKA, 0 },
				Package () { 0x0007FFFF, 0, LNKC, 0 }, Package () { 0x0007FFFF, 1, LNKD, 0 },
				Package () { 0x0007FFFF, 2, LNKA, 0 }, Package () { 0x0007FFFF, 3, LNKB, 0 },
				Package () { 0x0008FFFF, 0, LNKD, 0 }, Package () { 0x0008FFFF, 1, LNKA, 0 },
				Package () { 0x0008FFFF, 2, LNKB, 0 }, Package () { 0x0008FFFF, 3, LNKC, 0 },
				Package () { 0x0009FFFF, 0, LNKA, 0 }, Package () { 0x0009FFFF, 1, LNKB, 0 },
				Package () { 0x0009FFFF, 2, LNKC, 0 }, Package () { 0x0009FFFF, 3, LNKD, 0 },
				Package () { 0x000AFFFF, 0, LNKB, 0 }, Package () { 0x000AFFFF, 1, LNKC, 0 },
				Package () { 0x000AFFFF, 2, LNKD, 0 }, Package () { 0x000AFFFF, 3, LNKA, 0 },
				Package () { 0x000BFFFF, 0, LNKC, 0 }, Package () { 0x000BFFFF, 1, LNKD, 0 },
				Package () { 0x000BFFFF, 2, LNKA, 0 }, Package () { 0x000BFFFF, 3, LNKB, 0 },
				Package () { 0x000CFFFF, 0, LNKD, 0 }, Package () { 0x000CFFFF, 1, LNKA, 0 },
				Package () { 0x000CFFFF, 2, LNKB, 0 }, Package () { 0x000CFFFF, 3, LNKC, 0 },
				Package () { 0x000DFFFF, 0, LNKA, 0 }, Package () { 0x000DFFFF, 1, LNKB, 0 },
				Package () { 0x000DFFFF, 2, LNKC, 0 }, Package () { 0x000DFFFF, 3, LNKD, 0 },
				Package () { 0x000EFFFF, 0, LNKB, 0 }, Package () { 0x000EFFFF, 1, LNKC, 0 },
				Package () { 0x000EFFFF, 2, LNKD, 0 }, Package () { 0x000EFFFF, 3, LNKA, 0 },
				Package () { 0x000FFFFF, 0, LNKC, 0 }, Package () { 0x000FFFFF, 1, LNKD, 0 },
				Package () { 0x000FFFFF, 2, LNKA, 0 }, Package () { 0x000FFFFF, 3, LNKB, 0 },
				Package () { 0x0010FFFF, 0, LNKD, 0 }, Package () { 0x0010FFFF, 1, LNKA, 0 },
				Package () { 0x0010FFFF, 2, LNKB, 0 }, Package () { 0x0010FFFF, 3, LNKC, 0 },
				Package () { 0x0011FFFF, 0, LNKA, 0 }, Package () { 0x0011FFFF, 1, LNKB, 0 },
				Package () { 0x0011FFFF, 2, LNKC, 0 }, Package () { 0x0011FFFF, 3, LNKD, 0 },
				Package () { 0x0012FFFF, 0, LNKB, 0 }, Package () { 0x0012FFFF, 1, LNKC, 0 },
				Package () { 0x0012FFFF, 2, LNKD, 0 }, Package () { 0x0012FFFF, 3, LNKA, 0 },
				Package () { 0x0013FFFF, 0, LNKC, 0 }, Package () { 0x0013FFFF, 1, LNKD, 0 },
				Package () { 0x0013FFFF, 2, LNKA, 0 }, Package () { 0x0013FFFF, 3, LNKB, 0 },
				Package () { 0x0014FFFF, 0, LNKD, 0 }, Package () { 0x0014FFFF, 1, LNKA, 0 },
				Package () { 0x0014FFFF, 2, LNKB, 0 }, Package () { 0x0014FFFF, 3, LNKC, 0 },
				Package () { 0x0015FFFF, 0, LNKA, 0 }, Package () { 0x0015FFFF, 1, LNKB, 0 },
				Package () { 0x0015FFFF, 2, LNKC, 0 }, Package () { 0x0015FFFF, 3, LNKD, 0 },
				Package () { 0x0016FFFF, 0, LNKB, 0 }, Package () { 0x0016FFFF, 1, LNKC, 0 },
				Package () { 0x0016FFFF, 2, LNKD, 0 }, Package () { 0x0016FFFF, 3, LNKA, 0 },
				Package () { 0x0017FFFF, 0, LNKC, 0 }, Package () { 0x0017FFFF, 1, LNKD, 0 },
				Package () { 0x0017FFFF, 2, LNKA, 0 }, Package () { 0x0017FFFF, 3, LNKB, 0 },
				Package () { 0x0018FFFF, 0, LNKD, 0 }, Package () { 0x0018FFFF, 1, LNKA, 0 },
				Package () { 0x0018FFFF, 2, LNKB, 0 }, Package () { 0x0018FFFF, 3, LNKC, 0 },
				Package () { 0x0019FFFF, 0, LNKA, 0 }, Package () { 0x0019FFFF, 1, LNKB, 0 },
				Package () { 0x0019FFFF, 2, LNKC, 0 }, Package () { 0x0019FFFF, 3, LNKD, 0 },
				Package () { 0x001AFFFF, 0, LNKB, 0 }, Package () { 0x001AFFFF, 1, LNKC, 0 },
				Package () { 0x001AFFFF, 2, LNKD, 0 }, Package () { 0x001AFFFF, 3, LNKA, 0 },
				Package () { 0x001BFFFF, 0, LNKC, 0 }, Package () { 0x001BFFFF, 1, LNKD, 0 },
				Package () { 0x001BFFFF, 2, LNKA, 0 }, Package () { 0x001BFFFF, 3, LNKB, 0 },
				Package () { 0x001CFFFF, 0, LNKD, 0 }, Package () { 0x001CFFFF, 1, LNKA, 0 },
				Package () { 0x001CFFFF, 2, LNKB, 0 }, Package () { 0x001CFFFF, 3, LNKC, 0 },
				Package () { 0x001DFFFF, 0, LNKA, 0 }, Package () { 0x001DFFFF, 1, LNKB, 0 },
				Package () { 0x001DFFFF, 2, LNKC, 0 }, Package () { 0x001DFFFF, 3, LNKD, 0 },
				Package () { 0x001EFFFF, 0, LNKB, 0 }, Package () { 0x001EFFFF, 1, LNKC, 0 },
				Package () { 0x001EFFFF, 2, LNKD, 0 }, Package () { 0x001EFFFF, 3, LNKA, 0 },
				Package () { 0x001FFFFF, 0, LNKC, 0 }, Package () { 0x001FFFFF, 1, LNKD, 0 },
				Package () { 0x001FFFFF, 2, LNKA, 0 }, Package () { 0x001FFFFF, 3, LNKB, 0 }
			})

			// PIIX3 function 0, the PCI-to-ISA bridge. Its PIRQ route control
			// registers PIRQRC[A:D] at config offsets 60h-63h (82371SB PIIX3
			// datasheet): bits 3:0 the ISA IRQ, bit 7 set = routing disabled.
			Device (ISA)
			{
				Name (_ADR, 0x00010000)
				OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)
				Field (PIRQ, ByteAcc, NoLock, Preserve)
				{
					PRQA, 8,
					PRQB, 8,
					PRQC, 8,
					PRQD, 8
				}

				Device (RTC)
				{
					Name (_HID, EisaId ("PNP0B00"))
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
						IRQNoFlags () {8}
					})
				}

				// i8042 keyboard port; SeaBIOS looks for exactly this _HID.
				Device (KBD)
				{
					Name (_HID, EisaId ("PNP0303"))
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
						IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
						IRQNoFlags () {1}
					})
				}

				Device (MOU)
				{
					Name (_HID, EisaId ("PNP0F13"))
					Name (_CRS, ResourceTemplate ()
					{
						IRQNoFlags () {12}
					})
				}

				Device (COM1)
				{
					Name (_HID, EisaId ("PNP0501"))
					Name (_UID, One)
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
						IRQNoFlags () {4}
					})
				}

				// 8254 PIT; in APIC mode IRQ0 arrives on GSI 2 (MADT override).
				Device (TMR)
				{
					Name (_HID, EisaId ("PNP0100"))
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
						IRQNoFlags () {0}
					})
				}

				// Both 8259s and the edge/level control registers (ELCR).
				Device (PIC)
				{
					Name (_HID, EisaId ("PNP0000"))
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
						IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
						IO (Decode16, 0x04D0, 0x04D0, 0x01, 0x02)
						IRQNoFlags () {2}
					})
				}

				// Both 8237s and their page registers.
				Device (DMAC)
				{
					Name (_HID, EisaId ("PNP0200"))
					Name (_CRS, ResourceTemplate ()
					{
						DMA (Compatibility, NotBusMaster, Transfer8_16, ) {4}
						IO (Decode16, 0x0000, 0x0000, 0x01, 0x10)
						IO (Decode16, 0x0081, 0x0081, 0x01, 0x03)
						IO (Decode16, 0x0087, 0x0087, 0x01, 0x01)
						IO (Decode16, 0x0089, 0x0089, 0x01, 0x03)
						IO (Decode16, 0x008F, 0x008F, 0x01, 0x01)
						IO (Decode16, 0x00C0, 0x00C0, 0x01, 0x20)
					})
				}

				// Motherboard ports no other device claims: system control port A,
				// the debug port and fw_cfg (selector, data, DMA address).
				Device (SYSR)
				{
					Name (_HID, EisaId ("PNP0C02"))
					Name (_UID, One)
					Name (_CRS, ResourceTemplate ()
					{
						IO (Decode16, 0x0092, 0x0092, 0x01, 0x01)
						IO (Decode16, 0x0402, 0x0402, 0x01, 0x01)
						IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C)
					})
				}
			}
		}

		// PCI interrupt links (ACPI 6.4 section 6.2.13, PNP0C0F), one per PIRQ register.
		// Helpers take the register's value.
		Method (LSTA, 1, NotSerialized)
		{
			If (Arg0 & 0x80)
			{
				Return (0x09)	// present and functioning, disabled
			}
			Return (0x0B)		// present, enabled and functioning
		}

		Method (LCRS, 1, NotSerialized)
		{
			Local0 = ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) {0}
			}
			// Extended Interrupt Descriptor: the first interrupt number is at byte 5
			// (ACPI 6.4 section 6.4.3.6).
			CreateDWordField (Local0, 0x05, IRQN)
			If (!(Arg0 & 0x80))
			{
				IRQN = Arg0 & 0x0F
			}
			Return (Local0)
		}

		Method (LSRS, 1, NotSerialized)
		{
			CreateDWordField (Arg0, 0x05, IRQN)
			Return (IRQN & 0x0F)
		}

		// The IRQs SeaBIOS gives the links (10, 10, 11, 11) plus 5; all three have
		// level/active-high overrides in the MADT. IRQ 9 is left to the SCI.
		Device (LNKA)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, One)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) {5, 10, 11}
			})
			Method (_STA, 0, NotSerialized) { Return (LSTA (\_SB.PCI0.ISA.PRQA)) }
			Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQA |= 0x80 }
			Method (_CRS, 0, NotSerialized) { Return (LCRS (\_SB.PCI0.ISA.PRQA)) }
			Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQA = LSRS (Arg0) }
		}

		Device (LNKB)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 0x02)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) {5, 10, 11}
			})
			Method (_STA, 0, NotSerialized) { Return (LSTA (\_SB.PCI0.ISA.PRQB)) }
			Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQB |= 0x80 }
			Method (_CRS, 0, NotSerialized) { Return (LCRS (\_SB.PCI0.ISA.PRQB)) }
			Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQB = LSRS (Arg0) }
		}

		Device (LNKC)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 0x03)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) {5, 10, 11}
			})
			Method (_STA, 0, NotSerialized) { Return (LSTA (\_SB.PCI0.ISA.PRQC)) }
			Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQC |= 0x80 }
			Method (_CRS, 0, NotSerialized) { Return (LCRS (\_SB.PCI0.ISA.PRQC)) }
			Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQC = LSRS (Arg0) }
		}

		Device (LNKD)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 0x04)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) {5, 10, 11}
			})
			Method (_STA, 0, NotSerialized) { Return (LSTA (\_SB.PCI0.ISA.PRQD)) }
			Method (_DIS, 0, NotSerialized) { \_SB.PCI0.ISA.PRQD |= 0x80 }
			Method (_CRS, 0, NotSerialized) { Return (LCRS (\_SB.PCI0.ISA.PRQD)) }
			Method (_SRS, 1, NotSerialized) { \_SB.PCI0.ISA.PRQD = LSRS (Arg0) }
		}
	}

	// Sleep states (ACPI 6.4 section 7.4.2): {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved}.
	// The values are the PIIX4 PMCNTRL SUS_TYP encoding (bits 12:10 of PM1a_CNT):
	// 000b is soft off. SeaBIOS's APM power-off writes exactly that (SLP_EN, type 0;
	// src/apm.c). S0 is never entered through SLP_EN; 101b is PIIX4's "working" type.
	Name (\_S0, Package (0x04) { 0x05, 0x05, Zero, Zero })
	Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })
}
