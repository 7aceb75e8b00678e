import { describe, expect, it } from 'vitest';
import type { MeterProfile } from '../../src/emulator/fleet.ts';
import type { MeterInterval } from '../../src/emulator/load.ts';
import { dropShare, type FeederVoltage, sagVoltage, serviceVoltage } from '../../src/emulator/voltage.ts';

const profile = (overrides: Partial<MeterProfile>): MeterProfile => ({
  meterId: 1,
  feederId: 1,
  serviceClass: 'residential',
  scale: 1,
  archetype: 'res-commuter',
  heating: 'gas',
  hasEv: false,
  pvKw: 0,
  position: 0.5,
  ...overrides,
});
const meter = (overrides: Partial<MeterInterval>): MeterInterval => ({
  kwh: 0,
  kwhReceived: 0,
  expectedKwh: 0,
  lastNetKw: 1,
  voltageSmoothZ: 0,
  voltageWhiteZ: 0,
  voltageOffsetZ: 0,
  ...overrides,
});
const feeder: FeederVoltage = { busVolts: 123.5, farEndDropVolts: 6, loading: 1 };

describe('dropShare', () => {
  it('grows from 0 at the substation to 1 at the far end, fastest near the source', () => {
    expect(dropShare(0)).toBe(0);
    expect(dropShare(1)).toBe(1);
    expect(dropShare(0.5)).toBe(0.75);
    expect(dropShare(-1)).toBe(0);
    expect(dropShare(0.2) - dropShare(0)).toBeGreaterThan(dropShare(1) - dropShare(0.8));
  });
});

describe('serviceVoltage', () => {
  it('falls along the feeder and with the meter’s own load, rises with its export', () => {
    const near = serviceVoltage(feeder, profile({ position: 0.05 }), meter({}));
    const far = serviceVoltage(feeder, profile({ position: 0.95 }), meter({}));
    expect(near - far).toBeGreaterThan(4);
    const loaded = serviceVoltage(feeder, profile({}), meter({ lastNetKw: 8 }));
    const exporting = serviceVoltage(feeder, profile({}), meter({ lastNetKw: -5 }));
    expect(serviceVoltage(feeder, profile({}), meter({}))).toBeGreaterThan(loaded);
    expect(exporting).toBeGreaterThan(serviceVoltage(feeder, profile({}), meter({})));
  });

  it('drops more on a more heavily loaded feeder and rises under reverse flow', () => {
    const at = (farEndDropVolts: number) => serviceVoltage({ ...feeder, farEndDropVolts }, profile({ position: 1 }), meter({ lastNetKw: 0 }));
    expect(at(8)).toBeLessThan(at(4));
    expect(at(-1)).toBeGreaterThan(feeder.busVolts);
  });

  it('adds the meter’s offset and residuals and reports 0.1 V', () => {
    const base = serviceVoltage(feeder, profile({}), meter({}));
    expect(serviceVoltage(feeder, profile({}), meter({ voltageOffsetZ: 1 }))).toBeGreaterThan(base);
    expect(serviceVoltage(feeder, profile({}), meter({ voltageSmoothZ: -2 }))).toBeLessThan(base);
    expect(Math.round(base * 10) / 10).toBe(base);
    expect(serviceVoltage({ ...feeder, busVolts: 500 }, profile({}), meter({}))).toBe(135);
  });
});

describe('sagVoltage', () => {
  it('stays strictly under 114 V and at or above 90 V', () => {
    expect(sagVoltage(0.01, 5)).toBe(113.9);
    expect(sagVoltage(1, -5)).toBe(90);
    expect(sagVoltage(0.9, 3)).toBeLessThan(100);
  });

  it('goes lower for a higher severity', () => {
    expect(sagVoltage(0.2, 0)).toBe(109.6);
    expect(sagVoltage(0.8, 0)).toBe(96.4);
  });
});
