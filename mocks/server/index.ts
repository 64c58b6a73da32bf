import { MockServer } from "./server.js";
import { defaultMockServerOptions, type MockServerOptions } from "./options.js";

export { MockServer, MOCK_SERVER_SOFTWARE } from "./server.js";
export { SERVER_FAULTS, isServerFault, type ServerFault } from "./faults.js";
export {
  defaultMockServerOptions,
  MANAGING_JID,
  OTHER_JID,
  MOCK_DOMAIN,
  MOCK_UNDELEGATED_DOMAIN,
  DEFAULT_READINGS,
  ALTERNATE_READINGS,
  FURTHER_READINGS,
  type MockServerOptions,
  type ServerReadings,
} from "./options.js";

export async function startMockServer(overrides: Partial<MockServerOptions> = {}): Promise<MockServer> {
  const server = new MockServer(defaultMockServerOptions(overrides));
  await server.start();
  return server;
}
