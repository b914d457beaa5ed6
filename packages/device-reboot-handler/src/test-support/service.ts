// The integration suite drives the hub through the real service SDK, via service-connection. That
// package is not (yet) a devDependency of this one, so it is reached through its built entry point
// here, in this one place; switch to `@iothub-reboot/service-connection` once the dependency is added.
export { createServiceClients, type ServiceClients } from '../../../service-connection/dist/index.js';
