#!/usr/bin/env node
import { runCli } from '@iothub-reboot/app-kit';
import { hubVersion } from '../features';
import { runDeviceCommand } from './device-commands';
import { parseCommandLine, USAGE } from './options';
import { runStart } from './start';
import { runCaCommand, runCertCommand } from './x509-commands';

const print = (text: string) => process.stdout.write(`${text}\n`);

void runCli('local-hub', async (context) => {
  const command = parseCommandLine(process.argv.slice(2), process.env);
  switch (command.kind) {
    case 'help':
      print(USAGE);
      return 0;
    case 'version':
      print(hubVersion());
      return 0;
    case 'start':
      return runStart(command.settings, context, print);
    case 'device':
      return runDeviceCommand(command, print);
    case 'cert':
      return runCertCommand(command, print);
    case 'ca':
      return runCaCommand(command, print);
  }
});
