import { jest } from '@jest/globals';

// @opentelemetry/api is an optional peer: without it, events go to the debug log and onEvent only.
describe('OpenTelemetryBridge.load() without @opentelemetry/api', () => {
  it('gives no bridge, and does not throw', async () => {
    jest.unstable_mockModule('@opentelemetry/api', () => {
      throw new Error("Cannot find package '@opentelemetry/api'");
    });
    const { OpenTelemetryBridge } =
      await import('../../lib/observability/open-telemetry-bridge.js');
    expect(await OpenTelemetryBridge.load()).toBeUndefined();
  });
});
