import { MockComponent, type MockComponentOptions, type RunningMockComponent } from "./component.js";

export { MockComponent, MOCK_COMPONENT_SOFTWARE, BEHAVIOUR_NS, type ForwardBehaviour, type MockComponentOptions, type RunningMockComponent } from "./component.js";
export { COMPONENT_FAULTS, COMPONENT_READINGS, isComponentFault, type ComponentFault, type ComponentReadings } from "./faults.js";
export { PepStore } from "./pep.js";
export { ClientMode, managedEntity } from "./client-mode.js";
export { PAM_NS, PrivilegedEntity, readAdvertisement } from "./privilege.js";
export { PRIVILEGED_ENTITY_FAULTS, type PrivilegedEntityFault } from "./privilege-faults.js";

/** Connects a fresh mock managing entity to the server at host:port; resolves once its handshake is accepted. */
export async function startMockComponent(options: MockComponentOptions): Promise<RunningMockComponent> {
  const component = new MockComponent(options);
  await component.start();
  return component;
}
