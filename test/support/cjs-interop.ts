import { jest } from '@jest/globals';
import * as nestCommon from '@nestjs/common';
import * as nestCore from '@nestjs/core';
import * as unknownDependencies from '@nestjs/core/errors/exceptions/unknown-dependencies.exception.js';
import * as injector from '@nestjs/core/injector/injector.js';
import * as rxjs from 'rxjs';

// nestjs-cls and its transactional plugin are CommonJS and `require()` NestJS, which is ESM-only.
// Node.js >= 20.19 loads that natively; Jest's own module system on Node 20 cannot. So the
// CommonJS requires are answered with the very ESM instances the rest of the app uses (one
// @nestjs/core, one rxjs), which is also what Node does at run time.
//
// Import this file first, and import modules that use nestjs-cls dynamically afterwards: Jest
// loads a CommonJS dependency while it links an ESM graph, before any module of it runs.
jest.mock('@nestjs/common', () => nestCommon);
jest.mock('@nestjs/core', () => nestCore);
jest.mock(
  '@nestjs/core/errors/exceptions/unknown-dependencies.exception',
  () => unknownDependencies,
);
jest.mock('@nestjs/core/injector/injector', () => injector);
jest.mock('rxjs', () => rxjs);
