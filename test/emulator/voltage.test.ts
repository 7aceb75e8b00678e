import { describe, expect, it } from 'vitest';
import { normalVoltage, sagVoltage, VOLTAGE_ANOMALY_RATE } from '../../src/emulator/voltage.ts';

describe('normalVoltage', () => {
  it('centres on 121 V and clamps normal reads into 118-124 V', () => {
    expect(normalVoltage(0, 0.5, 0.5)).toBe(121);
    expect(normalVoltage(1, 0.5, 0.5)).toBe(121.9);
    expect(normalVoltage(10, 0.5, 0.5)).toBe(124);
    expect(normalVoltage(-10, 0.5, 0.5)).toBe(118);
  });

  it('puts anomalies outside 118-124 V even after rounding, never under 114 V', () => {
    const below = VOLTAGE_ANOMALY_RATE / 2;
    expect(normalVoltage(0, below, 0)).toBe(114);
    expect(normalVoltage(0, below, 0.4999999)).toBe(117.9);
    expect(normalVoltage(0, below, 0.5)).toBe(124.1);
    expect(normalVoltage(0, below, 0.9999999)).toBe(127);
    expect(normalVoltage(0, VOLTAGE_ANOMALY_RATE, 0)).toBe(121); // at the rate: no anomaly
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
