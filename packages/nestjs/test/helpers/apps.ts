// The test apps on Nest 11 (this directory resolves @nestjs/* to 11).
import * as common from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type NestKit, nestKit } from './kit.js';

export { type NestStartOptions, PLATFORMS, type Platform, type StartedNest } from './kit.js';

export const nest11: NestKit = nestKit({ name: 'Nest 11', common, NestFactory, HttpAdapterHost, FastifyAdapter });
export const { startNest, nestDriver } = nest11;
