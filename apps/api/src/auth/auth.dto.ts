import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MinLength } from 'class-validator';
import { MaxLength } from '../common/text.decorators';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@fr/auth';
import { OFFICER_ROLES, OfficerRole } from '@fr/domain';

export class LoginDto {
  @ApiProperty({ example: 'admin', minLength: 1, maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;

  @ApiProperty({ example: 'admin', minLength: 1, maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;
}

export class OfficerIdentityDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'p.bach.khoa.handler' }) username: string;
  @ApiProperty({ example: 'Đỗ Thanh Hiếu' }) fullName: string;
  @ApiProperty({ enum: OFFICER_ROLES }) role: OfficerRole;
  @ApiProperty({ example: 'P_BACH_KHOA' }) unitCode: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'send as Authorization: Bearer <accessToken>' }) accessToken: string;
  @ApiProperty({ example: 900, description: 'seconds until the token expires' }) expiresIn: number;
  @ApiProperty({ type: OfficerIdentityDto }) officer: OfficerIdentityDto;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, format: 'password', description: "the caller's password now" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword: string;

  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    format: 'password',
    description:
      'at least 8 of its characters visible (spaces around it and invisible characters do not count); not a common password, a character or short pattern repeated, nor containing the username; not the current password',
  })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  newPassword: string;
}

export class PasswordChangedDto {
  @ApiProperty({ description: "a fresh token (the caller's other tokens no longer work): send as Authorization: Bearer <accessToken>" })
  accessToken: string;
  @ApiProperty({ example: 900, description: 'seconds until the token expires' }) expiresIn: number;
}
