import { Body, Controller, Get, HttpCode, HttpStatus, Ip, Post, UseGuards } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, ChangePassword, CurrentOfficer, JwtAuthGuard, LogIn } from '@fr/auth';
import { ApiErrors } from '../common/error.dto';
import { ChangePasswordDto, LoginDto, LoginResponseDto, OfficerIdentityDto, PasswordChangedDto } from './auth.dto';

const identity = (o: AuthenticatedOfficer): OfficerIdentityDto => ({
  id: o.id,
  username: o.username,
  fullName: o.fullName,
  role: o.role,
  unitCode: o.unitCode,
});

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly logIn: LogIn,
    private readonly changePassword: ChangePassword,
  ) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'logIn',
    summary: "Exchange an officer's username and password for an access token",
    description:
      'The token is a bearer JWT living FR_JWT_TTL_SECONDS (900 by default); log in again when it expires. Failed logins are limited per username and address, per username and per address; a right password counts against none of these limits.',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(
    { 401: 'invalid username or password, or the account is disabled' },
    {
      429: 'too many failed logins for this username from this address, for this username from all addresses, or from this address (the message says which): Retry-After says when to try again',
    },
  )
  async login(@Body() dto: LoginDto, @Ip() ip: string): Promise<LoginResponseDto> {
    // Behind a proxy, set Express `trust proxy` so that this is the client's address.
    const r = await this.logIn.execute({ username: dto.username, password: dto.password, clientIp: normalizeIp(ip ?? '') });
    return { accessToken: r.accessToken, expiresIn: r.expiresIn, officer: identity(r.officer) };
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'getCurrentOfficer', summary: 'The officer the access token belongs to' })
  @ApiOkResponse({ type: OfficerIdentityDto })
  me(@CurrentOfficer() officer: AuthenticatedOfficer): OfficerIdentityDto {
    return identity(officer);
  }

  @Post('password')
  @HttpCode(HttpStatus.OK)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'changeOwnPassword',
    summary: "Change the caller's own password",
    description:
      'Any officer. Every other token of the caller stops working; the answer carries a fresh one. A wrong currentPassword counts against the login limits.',
  })
  @ApiOkResponse({ type: PasswordChangedDto })
  @ApiErrors(
    { 400: 'a field is missing or malformed, or newPassword is too weak (common, a repeated pattern, containing the username) or equals currentPassword' },
    { 401: 'missing or invalid access token' },
    { 403: 'currentPassword is wrong (counted as a failed login of the account)' },
    { 409: 'the account changed meanwhile (its password was set or it was disabled)' },
    {
      429: 'too many failed logins for this username from this address, for this username from all addresses, or from this address (the message says which): Retry-After says when to try again',
    },
  )
  async password(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: ChangePasswordDto, @Ip() ip: string): Promise<PasswordChangedDto> {
    const r = await this.changePassword.execute({
      officer,
      currentPassword: dto.currentPassword,
      newPassword: dto.newPassword,
      clientIp: normalizeIp(ip ?? ''),
    });
    return { accessToken: r.accessToken, expiresIn: r.expiresIn };
  }
}
